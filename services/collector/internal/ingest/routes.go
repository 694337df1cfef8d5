package ingest

import (
	"net/http"

	"github.com/cemhq/cem/pkg/events"
)

// Register adds the endpoints to mux:
//
//   - Segment's /v1/{track,identify,page,screen,group,alias} and /v1/batch,
//     with analytics.js's short paths /v1/{t,i,p,s,g,a} and /v1/b;
//   - RudderStack's beacon path /beacon/v1/batch (write key in the query);
//   - /v1/import;
//   - the SDK settings: /v1/projects/{writeKey}/settings (analytics-next's
//     cdnURL) and /sourceConfig (RudderStack's configUrl);
//   - every other path answers 404, counted as endpoint "other".
//
// Every request is counted in cem_collector_requests_total by endpoint
// name (the long name for a short path) and status code.
func (h *Handler) Register(mux *http.ServeMux) {
	for _, t := range events.Types {
		single := h.endpoint(string(t), kindSingle, t)
		mux.Handle("/v1/"+string(t), single)
		mux.Handle("/v1/"+string(t)[:1], single)
	}
	batch := h.endpoint("batch", kindBatch, "")
	mux.Handle("/v1/batch", batch)
	mux.Handle("/v1/b", batch)
	mux.Handle("/beacon/v1/batch", h.endpoint("beacon", kindBatch, ""))
	mux.Handle("/v1/import", h.endpoint("import", kindImport, ""))
	mux.Handle("/v1/projects/{writeKey}/settings", h.counted("settings", h.segmentSettings))
	sourceConfig := h.counted("settings", h.rudderSourceConfig)
	mux.Handle("/sourceConfig", sourceConfig)
	mux.Handle("/sourceConfig/", sourceConfig)
	mux.Handle("/", h.counted("other", func(w http.ResponseWriter, r *http.Request) {
		h.cors.answer(w, r)
		h.fail(w, http.StatusNotFound, "no such endpoint: see the collector's API (/v1/batch, /v1/track, ...)")
	}))
}

// counted serves f, counting the request and its duration under name.
func (h *Handler) counted(name string, f http.HandlerFunc) http.Handler {
	return h.m.http.Instrument(name, f)
}

// endpoint is an ingestion endpoint: POST, with CORS preflights.
func (h *Handler) endpoint(name string, k kind, typ events.Type) http.Handler {
	return h.counted(name, func(w http.ResponseWriter, r *http.Request) {
		switch r.Method {
		case http.MethodOptions:
			h.cors.preflight(w, r, http.MethodPost)
		case http.MethodPost:
			if !h.cors.answer(w, r) {
				h.fail(w, http.StatusForbidden, "origin not allowed (CEM_CORS_ORIGINS)")
				return
			}
			h.serve(w, r, k, typ)
		default:
			h.cors.answer(w, r)
			w.Header().Set("Allow", "POST, OPTIONS")
			h.fail(w, http.StatusMethodNotAllowed, "use POST")
		}
	})
}

// requestKey is the write key a request carries outside its body: the
// HTTP basic auth user, else the writeKey query parameter (RudderStack's
// beacon); ok is false when it carries none.
func requestKey(r *http.Request) (key string, ok bool) {
	if user, _, basic := r.BasicAuth(); basic {
		return user, true
	}
	if k := r.URL.Query().Get("writeKey"); k != "" {
		return k, true
	}
	return "", false
}
