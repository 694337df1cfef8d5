package enrich_test

import (
	"net/http/httptest"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/cemhq/cem/services/collector/internal/enrich"
)

// Only a browser's request lends its User-Agent to bot detection.
func TestBrowserUA(t *testing.T) {
	const chrome = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36"
	for _, tt := range []struct {
		name string
		hdr  map[string]string
		want string
	}{
		{"fetch from a page", map[string]string{"Origin": "https://shop.example", "User-Agent": chrome}, chrome},
		{"same-origin fetch", map[string]string{"Sec-Fetch-Mode": "cors", "User-Agent": chrome}, chrome},
		{"curl", map[string]string{"User-Agent": "curl/8.5.0"}, ""},
		{"Go backend", map[string]string{"User-Agent": "Go-http-client/1.1"}, ""},
		{"python urllib", map[string]string{"User-Agent": "Python-urllib/3.12"}, ""},
	} {
		r := httptest.NewRequest("POST", "/v1/track", nil)
		for k, v := range tt.hdr {
			r.Header.Set(k, v)
		}
		assert.Equal(t, tt.want, enrich.BrowserUA(r), tt.name)
	}
	e, err := enrich.New(nil)
	require.NoError(t, err)
	assert.Equal(t, enrich.UA{}, e.ParseUA(""), "no user agent: no bot, no device")
}
