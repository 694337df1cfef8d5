package httpapi

import (
	"encoding/json"
	"io"
	"log/slog"
	"math"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/cemhq/cem/pkg/httpjson"
)

// A handler whose answer cannot be encoded (a non-finite revenue) answers 500
// with a JSON error, not 200 with an empty body.
func TestUnencodableAnswerIs500WithJSONError(t *testing.T) {
	s := &server{Deps{Log: slog.New(slog.NewTextHandler(io.Discard, nil))}}
	h := s.wrap(func(w http.ResponseWriter, _ *http.Request) error {
		return httpjson.Write(w, http.StatusOK, map[string]any{"revenue": math.Inf(1)})
	}, time.Second)
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest("GET", "/api/v1/customers/u-1", nil))
	if rec.Code != http.StatusInternalServerError {
		t.Fatalf("status %d, want 500 (body %q)", rec.Code, rec.Body.String())
	}
	var body httpjson.ErrorBody
	if err := json.Unmarshal(rec.Body.Bytes(), &body); err != nil || body.Error.Code != "internal" {
		t.Fatalf("body %q is not a JSON error: %v", rec.Body.String(), err)
	}
}
