package httpapi

import (
	"net/http"

	"github.com/cemhq/cem/pkg/httpjson"
)

// erase: DELETE /api/v1/customers/{id}.
func (s *server) erase(w http.ResponseWriter, r *http.Request) error {
	c, ids, err := s.customer(r.Context(), r)
	if err != nil {
		return err
	}
	rec, err := s.Eraser.Erase(r.Context(), c, ids)
	if err != nil {
		return err
	}
	s.Log.Info("customer erased", "receipt_id", rec.ReceiptID, "ids", len(rec.IDs), "tables", len(rec.Tables))
	return httpjson.Write(w, http.StatusOK, rec)
}

// export: GET /api/v1/customers/{id}/export.
func (s *server) export(w http.ResponseWriter, r *http.Request) error {
	c, ids, err := s.customer(r.Context(), r)
	if err != nil {
		return err
	}
	x, err := s.Exporter.Export(r.Context(), c, ids)
	if err != nil {
		return err
	}
	w.Header().Set("Content-Disposition", `attachment; filename="customer-export.json"`)
	return httpjson.Write(w, http.StatusOK, x)
}
