package ingest_test

import (
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/cemhq/cem/pkg/events"
	"github.com/cemhq/cem/services/collector/internal/ingest"
)

// analytics.js posts to short paths; RudderStack's beacon mode to
// /beacon/v1/batch with the key in the query and a text/plain body.
func TestSDKPaths(t *testing.T) {
	f := newFixture(t)
	for path, typ := range map[string]string{"/v1/t": "track", "/v1/p": "page", "/v1/i": "identify", "/v1/s": "screen", "/v1/g": "group", "/v1/a": "alias"} {
		body := `{"userId":"u1","anonymousId":"a1","event":"A","groupId":"g","previousId":"p","messageId":"short-` + typ + `"}`
		w, resp := f.post(path, "k-web", body, "Content-Type", "text/plain")
		require.Equal(t, http.StatusOK, w.Code, path+": "+w.Body.String())
		assert.Equal(t, 1, resp.Accepted, path)
		assert.Equal(t, 1.0, f.counter("cem_collector_requests_total", map[string]string{"endpoint": typ, "code": "200"}), path)
	}
	w, resp := f.post("/v1/b", "k-web", `{"batch":[{"type":"track","userId":"u1","event":"A","messageId":"short-b"}]}`)
	require.Equal(t, http.StatusOK, w.Code, w.Body.String())
	assert.Equal(t, 1, resp.Accepted)

	w, resp = f.post("/beacon/v1/batch?writeKey=k-web", "", `{"batch":[{"type":"track","anonymousId":"a1","userId":"","event":"A","messageId":"beacon-1"}],"sentAt":"2026-01-01T00:00:00Z"}`,
		"Content-Type", "text/plain;charset=UTF-8", "Origin", "https://shop.example")
	require.Equal(t, http.StatusOK, w.Code, w.Body.String())
	assert.Equal(t, 1, resp.Accepted)
	assert.Equal(t, 1.0, f.counter("cem_collector_requests_total", map[string]string{"endpoint": "beacon", "code": "200"}))
	w, _ = f.post("/beacon/v1/batch?writeKey=nope", "", `{"batch":[{"type":"track","anonymousId":"a1","event":"A"}]}`)
	assert.Equal(t, http.StatusUnauthorized, w.Code)

	got := map[string]events.Event{}
	for _, ev := range f.sink.events(t) {
		got[ev.MessageID] = ev
	}
	assert.Len(t, got, 8)
	assert.Equal(t, events.TypePage, got["short-page"].Type)
	assert.Equal(t, events.TypeAlias, got["short-alias"].Type)
	assert.Equal(t, "web", got["beacon-1"].Source)

	// Unknown paths are answered and counted under one label.
	for _, p := range []string{"/v1/x", "/v2/track", "/wp-login.php", "/"} {
		w, _ = f.post(p, "k-web", `{}`)
		assert.Equal(t, http.StatusNotFound, w.Code, p)
	}
	assert.Equal(t, 4.0, f.counter("cem_collector_requests_total", map[string]string{"endpoint": "other", "code": "404"}))
}

// analytics.js sends "userId": null before identify: stored, keyed by the
// anonymousId.
func TestAnalyticsNextNullUserID(t *testing.T) {
	f := newFixture(t)
	w, resp := f.post("/v1/t", "k-web", `{"type":"track","event":"Clicked","userId":null,"anonymousId":"anon-1","context":{"campaign":null,"library":{"name":"analytics.js","version":"npm:next-1.84.3"}},"messageId":"ajs-1"}`)
	require.Equal(t, http.StatusOK, w.Code, w.Body.String())
	assert.Equal(t, 1, resp.Accepted)
	ev := f.sink.events(t)[0]
	assert.Equal(t, "anon-1", ev.CustomerKey())
	assert.Equal(t, "web", ev.Channel())
}

func preflight(f *fixture, path, origin, headers string) *httptest.ResponseRecorder {
	r := httptest.NewRequest(http.MethodOptions, path, nil)
	r.Header.Set("Origin", origin)
	r.Header.Set("Access-Control-Request-Method", "POST")
	if headers != "" {
		r.Header.Set("Access-Control-Request-Headers", headers)
	}
	w := httptest.NewRecorder()
	f.srv.ServeHTTP(w, r)
	return w
}

// The preflight answers allow what both browser SDKs send, are cached, and
// never allow credentials unless configured (not at all with "*").
func TestPreflight(t *testing.T) {
	for _, tt := range []struct {
		name    string
		origins []string
		origin  string
		wantACO string
	}{
		{"listed origin", []string{"https://shop.example"}, "https://shop.example", "https://shop.example"},
		{"any origin", []string{"*"}, "https://anything.example", "*"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t, func(c *ingest.Config) { c.CORS.Origins = tt.origins })
			for _, hdrs := range []string{
				"content-type,x-retry-count",                    // analytics-next retry
				"anonymousid,authorization,content-type,sentat", // RudderStack JS
				"anonymousid,authorization,content-type,rsa-retry-attempt,rsa-retry-reason,rsa-since-first-attempt,rsa-since-last-attempt,sentat", // its retry
			} {
				w := preflight(f, "/v1/t", tt.origin, hdrs)
				require.Equal(t, http.StatusNoContent, w.Code)
				h := w.Header()
				assert.Equal(t, tt.wantACO, h.Get("Access-Control-Allow-Origin"))
				assert.Empty(t, h.Get("Access-Control-Allow-Credentials"), "write keys are not cookies")
				assert.Equal(t, "7200", h.Get("Access-Control-Max-Age"))
				assert.Contains(t, h.Get("Access-Control-Allow-Methods"), "POST")
				allowed := strings.ToLower(h.Get("Access-Control-Allow-Headers"))
				for n := range strings.SplitSeq(hdrs, ",") {
					assert.Contains(t, allowed, n)
				}
			}
			assert.Equal(t, 0.0, f.counter("cem_collector_cors_refused_total", map[string]string{"reason": "header"}))
			// The answer to the POST lets the SDK read Retry-After.
			w, _ := f.post("/v1/t", "k-web", `{"userId":"u","event":"A"}`, "Origin", tt.origin)
			require.Equal(t, http.StatusOK, w.Code)
			assert.Equal(t, tt.wantACO, w.Header().Get("Access-Control-Allow-Origin"))
			assert.Contains(t, w.Header().Get("Access-Control-Expose-Headers"), "Retry-After")
			assert.Empty(t, w.Header().Get("Access-Control-Allow-Credentials"))
		})
	}
}

func TestCORSRefusals(t *testing.T) {
	f := newFixture(t)
	w := preflight(f, "/v1/batch", "https://evil.example", "content-type")
	assert.Equal(t, http.StatusForbidden, w.Code)
	assert.Empty(t, w.Header().Get("Access-Control-Allow-Origin"))
	w, _ = f.post("/v1/track", "k-web", `{"userId":"u","event":"A"}`, "Origin", "https://evil.example")
	assert.Equal(t, http.StatusForbidden, w.Code)
	assert.Empty(t, f.sink.events(t), "nothing stored from a refused origin")
	assert.Equal(t, 2.0, f.counter("cem_collector_cors_refused_total", map[string]string{"reason": "origin"}))

	w = preflight(f, "/v1/batch", "https://shop.example", "content-type,x-custom")
	assert.Equal(t, http.StatusNoContent, w.Code)
	assert.NotContains(t, strings.ToLower(w.Header().Get("Access-Control-Allow-Headers")), "x-custom")
	assert.Equal(t, 1.0, f.counter("cem_collector_cors_refused_total", map[string]string{"reason": "header"}))

	// An operator may allow more headers, and credentials for listed origins.
	f = newFixture(t, func(c *ingest.Config) { c.CORS.Headers = []string{"X-Custom"}; c.CORS.Credentials = true })
	w = preflight(f, "/v1/batch", "https://shop.example", "content-type,x-custom")
	assert.Contains(t, w.Header().Get("Access-Control-Allow-Headers"), "X-Custom")
	assert.Equal(t, "true", w.Header().Get("Access-Control-Allow-Credentials"))
	assert.Equal(t, "https://shop.example", w.Header().Get("Access-Control-Allow-Origin"))

	cfg := config()
	cfg.CORS = ingest.CORSConfig{Origins: []string{"*"}, Credentials: true}
	_, err := ingest.New(cfg, &memSink{}, nil, prometheus.NewRegistry(), slog.New(slog.DiscardHandler))
	assert.ErrorContains(t, err, "credentials")
}

// Bot tagging looks at the end user's agent only.
func TestBotRule(t *testing.T) {
	f := newFixture(t)
	const crawler = "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)"
	cases := []struct {
		name, body string
		hdr        []string
		bot        bool
		device     string
	}{
		{"curl without context.userAgent", `{"userId":"u","event":"Ticket Opened","properties":{"ticket_id":"t","channel":"phone"}}`, []string{"User-Agent", "curl/8.5.0"}, false, ""},
		{"Go server SDK", `{"userId":"u","event":"A"}`, []string{"User-Agent", "Go-http-client/1.1"}, false, ""},
		{"python urllib", `{"userId":"u","event":"A"}`, []string{"User-Agent", "Python-urllib/3.12"}, false, ""},
		{"server forwarding the user's browser", `{"userId":"u","event":"A","context":{"userAgent":"` + chromeUA + `"}}`, []string{"User-Agent", "curl/8.5.0"}, false, "desktop"},
		{"server forwarding a crawler", `{"userId":"u","event":"A","context":{"userAgent":"` + crawler + `"}}`, []string{"User-Agent", "Go-http-client/1.1"}, true, "bot"},
		{"browser", `{"userId":"u","event":"A"}`, []string{"User-Agent", chromeUA, "Origin", "https://shop.example"}, false, "desktop"},
		{"headless browser", `{"userId":"u","event":"A"}`, []string{"User-Agent", "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) HeadlessChrome/120.0.0.0 Safari/537.36", "Sec-Fetch-Mode", "cors"}, true, "bot"},
	}
	for i, c := range cases {
		body := strings.TrimSuffix(c.body, "}") + `,"messageId":"bot-` + string(rune('a'+i)) + `"}`
		w, _ := f.post("/v1/track", "k-cc", body, c.hdr...)
		require.Equal(t, http.StatusOK, w.Code, c.name+": "+w.Body.String())
	}
	got := map[string]events.Event{}
	for _, ev := range f.sink.events(t) {
		got[ev.MessageID] = ev
	}
	for i, c := range cases {
		ev := got["bot-"+string(rune('a'+i))]
		assert.Equal(t, c.bot, ev.Enrichment.Bot, c.name)
		assert.Equal(t, c.device, ev.Enrichment.DeviceType, c.name)
	}
}

// The settings endpoints let the stock SDKs load with one option.
func TestSDKSettings(t *testing.T) {
	f := newFixture(t, func(c *ingest.Config) { c.PublicURL = "https://collect.shop.example/cem/" })
	get := func(path, origin string) *httptest.ResponseRecorder {
		r := httptest.NewRequest(http.MethodGet, path, nil)
		if origin != "" {
			r.Header.Set("Origin", origin)
		}
		w := httptest.NewRecorder()
		f.srv.ServeHTTP(w, r)
		return w
	}
	w := get("/v1/projects/k-web/settings", "https://shop.example")
	require.Equal(t, http.StatusOK, w.Code, w.Body.String())
	assert.Equal(t, "https://shop.example", w.Header().Get("Access-Control-Allow-Origin"))
	var seg struct {
		Integrations map[string]struct {
			APIKey   string `json:"apiKey"`
			APIHost  string `json:"apiHost"`
			Protocol string `json:"protocol"`
		} `json:"integrations"`
		Metrics struct {
			SampleRate float64 `json:"sampleRate"`
		} `json:"metrics"`
	}
	require.NoError(t, json.Unmarshal(w.Body.Bytes(), &seg))
	require.Len(t, seg.Integrations, 1, "no destination but the collector")
	sio := seg.Integrations["Segment.io"]
	assert.Equal(t, "k-web", sio.APIKey)
	assert.Equal(t, "collect.shop.example/cem/v1", sio.APIHost)
	assert.Equal(t, "https", sio.Protocol)
	assert.Zero(t, seg.Metrics.SampleRate, "no metrics sent to Segment")

	w = get("/sourceConfig/?p=npm&v=3.34.1&writeKey=k-web", "https://shop.example")
	require.Equal(t, http.StatusOK, w.Code, w.Body.String())
	var rs struct {
		Source struct {
			ID           string         `json:"id"`
			Enabled      bool           `json:"enabled"`
			Config       map[string]any `json:"config"`
			Destinations []any          `json:"destinations"`
		} `json:"source"`
	}
	require.NoError(t, json.Unmarshal(w.Body.Bytes(), &rs))
	assert.True(t, rs.Source.Enabled)
	assert.NotEmpty(t, rs.Source.ID)
	assert.NotNil(t, rs.Source.Config)
	assert.NotNil(t, rs.Source.Destinations)
	assert.NotContains(t, w.Body.String(), `"web"`, "the source's name is not told")

	// Unknown keys learn nothing; refused origins neither.
	for _, p := range []string{"/v1/projects/guess/settings", "/sourceConfig/?writeKey=guess", "/sourceConfig"} {
		w = get(p, "")
		assert.Equal(t, http.StatusNotFound, w.Code, p)
		assert.NotContains(t, w.Body.String(), "k-web", p)
	}
	w = get("/v1/projects/k-web/settings", "https://evil.example")
	assert.Equal(t, http.StatusForbidden, w.Code)
	assert.Equal(t, 2.0, f.counter("cem_collector_requests_total", map[string]string{"endpoint": "settings", "code": "200"}))

	// Without a public URL the settings point at the host the browser used.
	f = newFixture(t)
	w = get("/v1/projects/k-web/settings", "")
	require.Equal(t, http.StatusOK, w.Code)
	assert.Contains(t, w.Body.String(), `"apiHost":"example.com/v1"`)
	assert.Equal(t, "no-store", w.Header().Get("Cache-Control"))
}

// TestSettingsRefuseServerKeys: a server source's key is secret; the
// settings endpoints answer it like an unknown key (no oracle for guesses,
// no secret key in a publicly cached answer).
func TestSettingsRefuseServerKeys(t *testing.T) {
	f := newFixture(t, func(c *ingest.Config) { c.PublicURL = "https://collect.shop.example" })
	for _, p := range []string{"/v1/projects/k-cc/settings", "/sourceConfig/?writeKey=k-cc"} {
		r := httptest.NewRequest(http.MethodGet, p, nil)
		w := httptest.NewRecorder()
		f.srv.ServeHTTP(w, r)
		assert.Equal(t, http.StatusNotFound, w.Code, p)
		assert.NotContains(t, w.Body.String(), "k-cc", p)
		assert.Empty(t, w.Header().Get("Cache-Control"), p)
		unknown := httptest.NewRecorder()
		f.srv.ServeHTTP(unknown, httptest.NewRequest(http.MethodGet, strings.ReplaceAll(p, "k-cc", "k-xx"), nil))
		assert.Equal(t, unknown.Body.String(), w.Body.String(), "the same answer as an unknown key")
	}
}

// TestSettingsVaryByOrigin: the settings are cached publicly for 5 min
// with CEM_PUBLIC_URL; a CDN must not serve the copy fetched without an
// Origin (no CORS headers) to a browser, which would refuse it and not
// load analytics-next.
func TestSettingsVaryByOrigin(t *testing.T) {
	for name, origins := range map[string][]string{"list": {"https://shop.example"}, "any": {"*"}} {
		t.Run(name, func(t *testing.T) {
			f := newFixture(t, func(c *ingest.Config) {
				c.PublicURL = "https://collect.shop.example"
				c.CORS = ingest.CORSConfig{Origins: origins}
			})
			for _, origin := range []string{"", "https://shop.example"} {
				r := httptest.NewRequest(http.MethodGet, "/v1/projects/k-web/settings", nil)
				if origin != "" {
					r.Header.Set("Origin", origin)
				}
				w := httptest.NewRecorder()
				f.srv.ServeHTTP(w, r)
				require.Equal(t, http.StatusOK, w.Code)
				assert.Equal(t, "public, max-age=300", w.Header().Get("Cache-Control"))
				assert.Equal(t, []string{"Origin"}, w.Header().Values("Vary"), "origin %q", origin)
				acao := w.Header().Get("Access-Control-Allow-Origin")
				switch {
				case name == "any":
					assert.Equal(t, "*", acao, "any origin may use the cached copy")
				case origin == "":
					assert.Empty(t, acao)
				default:
					assert.Equal(t, origin, acao)
				}
			}
		})
	}
}
