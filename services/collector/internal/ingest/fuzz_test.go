package ingest_test

import (
	"bytes"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// FuzzHTTPBody posts arbitrary bodies to every endpoint: malformed JSON,
// huge strings, deep nesting and invalid UTF-8 must never panic and never
// get a 5xx (the stub sink always succeeds, so a 5xx could only come from
// mishandled input). scripts/test.sh runs it briefly with -fuzz.
func FuzzHTTPBody(f *testing.F) {
	for _, s := range []string{
		`{"batch":[{"type":"track","userId":"u","event":"A"}]}`,
		`{"batch":[{"type":"track","userId":"u","event":"NPS Submitted","properties":{"score":"x"}}]}`,
		`{"userId":"u","event":"` + strings.Repeat("x", 40000) + `"}`,
		strings.Repeat("[", 20000) + strings.Repeat("]", 20000),
		`{"userId":"\xff\xfe","event":"\xc3\x28"}`,
		`{"batch":[1,null,"x",{"type":"alias"}],"sentAt":"2026-02-30T00:00:00Z"}`,
		"{\"type\":\"track\",\"userId\":\"u\",\"event\":\"A\"}\n{",
		`{"writeKey":"k-web","batch":[{"type":"page","anonymousId":"a","context":{"page":3}}]}`,
	} {
		f.Add([]byte(s))
	}
	fx := newFixture(&testing.T{})
	f.Fuzz(func(t *testing.T, body []byte) {
		for _, path := range []string{"/v1/batch", "/v1/track", "/v1/page", "/v1/alias", "/v1/import"} {
			r := httptest.NewRequest(http.MethodPost, path, bytes.NewReader(body))
			key := "k-web"
			if path == "/v1/import" {
				key = "k-cc" // import is for server sources
			}
			r.SetBasicAuth(key, "")
			w := httptest.NewRecorder()
			fx.srv.ServeHTTP(w, r)
			if w.Code >= 500 {
				t.Fatalf("%s: %d for bad input: %s", path, w.Code, w.Body.String())
			}
		}
	})
}
