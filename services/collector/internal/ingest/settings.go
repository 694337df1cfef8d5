package ingest

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"

	"github.com/cemhq/cem/pkg/httpjson"
)

// The SDK settings endpoints let the stock browser SDKs load from cem with
// one option: analytics-next's cdnURL and RudderStack's configUrl point at
// the collector, which answers with settings that send the events to
// itself. They answer only for the write keys of client sources (404
// otherwise, also for a server source's key: its key is secret, and a 200
// would tell a guess right without any rate limit, and with CEM_PUBLIC_URL
// put it in a publicly cached answer) and contain nothing but the key the
// caller sent and the collector's public address. Every answer varies by
// Origin (Vary: Origin), so that a CDN caching it per URL never serves a
// browser an answer without the CORS headers its origin needs.

// parsePublicURL checks CEM_PUBLIC_URL: an absolute http or https URL
// without query ("" is allowed: the request's Host is used).
func parsePublicURL(s string) (*url.URL, error) {
	if s == "" {
		return nil, nil
	}
	u, err := url.Parse(strings.TrimRight(s, "/"))
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.RawQuery != "" || u.Fragment != "" {
		return nil, fmt.Errorf("public URL %q: want http(s)://host[:port][/path]", s)
	}
	return u, nil
}

// CheckPublicURL reports whether s is usable as Config.PublicURL.
func CheckPublicURL(s string) error {
	_, err := parsePublicURL(s)
	return err
}

// publicURL is the collector's address as browsers reach it: PublicURL,
// else the request's scheme and Host.
func (h *Handler) publicURL(r *http.Request) *url.URL {
	if h.public != nil {
		return h.public
	}
	u := &url.URL{Scheme: "http", Host: r.Host}
	if r.TLS != nil {
		u.Scheme = "https"
	}
	return u
}

// settingsRequest handles what both settings endpoints share: the method,
// CORS and the key. It returns false when it answered already.
func (h *Handler) settingsRequest(w http.ResponseWriter, r *http.Request, key string) bool {
	h.cors.cacheable(w, r)
	switch r.Method {
	case http.MethodGet, http.MethodHead:
	case http.MethodOptions:
		h.cors.preflight(w, r, http.MethodGet, http.MethodHead)
		return false
	default:
		h.cors.answer(w, r)
		w.Header().Set("Allow", "GET, HEAD, OPTIONS")
		h.fail(w, http.StatusMethodNotAllowed, "use GET")
		return false
	}
	if !h.cors.answer(w, r) {
		h.fail(w, http.StatusForbidden, "origin not allowed (CEM_CORS_ORIGINS)")
		return false
	}
	if source := h.source(key); source == "" || h.server[source] {
		h.fail(w, http.StatusNotFound, "unknown write key")
		return false
	}
	if h.public != nil {
		w.Header().Set("Cache-Control", "public, max-age=300")
	} else {
		w.Header().Set("Cache-Control", "no-store") // depends on the request's Host
	}
	return true
}

// segmentSettings answers analytics-next's GET
// {cdnURL}/v1/projects/{writeKey}/settings: the Segment.io integration
// posts to this collector (apiHost), no other destination, no remote
// plugins, no metrics sent to Segment.
func (h *Handler) segmentSettings(w http.ResponseWriter, r *http.Request) {
	key := r.PathValue("writeKey")
	if !h.settingsRequest(w, r, key) {
		return
	}
	pub := h.publicURL(r)
	apiHost := pub.Host + strings.TrimRight(pub.Path, "/") + "/v1"
	settings := map[string]any{
		"integrations": map[string]any{
			"Segment.io": map[string]any{
				"apiKey": key, "apiHost": apiHost, "protocol": pub.Scheme,
				"unbundledIntegrations": []string{}, "addBundledMetadata": true, "maybeBundledConfigIds": map[string]any{},
				"versionSettings": map[string]any{"componentTypes": []string{"browser"}},
			},
		},
		"plan": map[string]any{
			"track":    map[string]any{"__default": map[string]any{"enabled": true, "integrations": map[string]any{}}},
			"identify": map[string]any{"__default": map[string]any{"enabled": true}},
			"group":    map[string]any{"__default": map[string]any{"enabled": true}},
		},
		"edgeFunction": map[string]any{}, "analyticsNextEnabled": true, "middlewareSettings": map[string]any{},
		"enabledMiddleware": map[string]any{}, "metrics": map[string]any{"sampleRate": 0, "host": apiHost},
		"legacyVideoPluginsEnabled": false, "remotePlugins": []any{},
	}
	_ = httpjson.Write(w, http.StatusOK, settings) // always encodes
}

// rudderSourceConfig answers RudderStack JS's GET
// {configUrl}/sourceConfig/?writeKey=...: an enabled source without
// device-mode destinations (the SDK then sends everything to its
// dataPlaneUrl), with the SDK's error and metrics reporting off.
func (h *Handler) rudderSourceConfig(w http.ResponseWriter, r *http.Request) {
	key, _ := requestKey(r)
	if !h.settingsRequest(w, r, key) {
		return
	}
	off := map[string]any{"enabled": false}
	cfg := map[string]any{
		"isHosted": false,
		"source": map[string]any{
			"id": "cem", "name": "cem", "workspaceId": "cem", "writeKey": key, "enabled": true,
			"config":       map[string]any{"statsCollection": map[string]any{"errors": off, "metrics": off}},
			"destinations": []any{},
		},
	}
	_ = httpjson.Write(w, http.StatusOK, cfg)
}
