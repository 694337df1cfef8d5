package baseline

import (
	"encoding/json"
	"io"
	"net/http"
	"sync/atomic"

	"github.com/cemhq/cem/pkg/events"
)

// batchBody is a Segment batch decoded into the event model (no
// validation, no enrichment).
type batchBody struct {
	Batch  []events.Event `json:"batch"`
	SentAt string         `json:"sentAt"`
}

// Handler reads and JSON-decodes each request body as a Segment batch and
// answers 200 {"success":true}; a body that is not JSON gets 400. MaxBytes
// bounds a body (default 500 KB, as the collector).
type Handler struct {
	MaxBytes int64
	events   atomic.Int64
}

// Events returns the number of events decoded so far.
func (h *Handler) Events() int64 { return h.events.Load() }

// ServeHTTP implements http.Handler.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	limit := h.MaxBytes
	if limit <= 0 {
		limit = 500 << 10
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, limit))
	if err != nil {
		http.Error(w, `{"error":"body too large"}`, http.StatusRequestEntityTooLarge)
		return
	}
	var b batchBody
	if err := json.Unmarshal(body, &b); err != nil {
		http.Error(w, `{"error":"invalid JSON"}`, http.StatusBadRequest)
		return
	}
	h.events.Add(int64(len(b.Batch)))
	w.Header().Set("Content-Type", "application/json")
	_, _ = w.Write([]byte(`{"success":true}`))
}
