package events_test

import (
	"encoding/json"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/cemhq/cem/pkg/events"
)

func TestFailureRawRedactsWriteKeys(t *testing.T) {
	for _, raw := range []string{
		`{"writeKey":"secret-key-1","userId":"u1"}`,
		`{"userId":"u1", "WRITEKEY" : "secret-key-1"}`,
		`{"write_key":"secret-key-1"}`,
		`{"writeKey":"secret\"key-1 with \\ escapes"}`,
		`{"writeKey":"secret-key-1",` + `"broken json`,
	} {
		var f events.Failure
		f.SetRaw([]byte(raw), 0)
		assert.NotContains(t, f.Raw, "secret", raw)
		assert.Contains(t, f.Raw, `"[redacted]"`, raw)
		assert.False(t, f.Truncated)
	}
	// A configured key anywhere else in the payload.
	var f events.Failure
	f.SetRaw([]byte(`{"userId":"u1","properties":{"note":"my key is srv-secret-9"}}`), 0, "srv-secret-9", "")
	assert.Equal(t, `{"userId":"u1","properties":{"note":"my key is [redacted]"}}`, f.Raw)
	// Nothing to redact: unchanged.
	f.SetRaw([]byte(`{"userId":"u1","properties":{"keyword":"x"}}`), 0)
	assert.Equal(t, `{"userId":"u1","properties":{"keyword":"x"}}`, f.Raw)
}

func TestFailureRawIsCapped(t *testing.T) {
	raw := `{"writeKey":"secret-key-1","p":"` + strings.Repeat("ü", 100<<10) + `"}`
	var f events.Failure
	f.SetRaw([]byte(raw), 1001)
	assert.True(t, f.Truncated)
	assert.Equal(t, len(raw), f.RawBytes)
	assert.LessOrEqual(t, len(f.Raw), 1001)
	assert.Greater(t, len(f.Raw), 990)
	assert.True(t, utf8.ValidString(f.Raw), "cut at a rune boundary")
	assert.NotContains(t, f.Raw, "secret")
	b, err := json.Marshal(f)
	require.NoError(t, err)
	assert.Contains(t, string(b), `"truncated":true`)

	// The default cap keeps a record of a 2 MB event far below Kafka's 1 MB
	// even with every byte escaped.
	f.SetRaw([]byte(strings.Repeat("\x01", 2<<20)), 0)
	b, err = json.Marshal(f)
	require.NoError(t, err)
	assert.Less(t, len(b), 1<<19)
}
