package httpapi

import (
	"context"
	"net/http"

	"github.com/cemhq/cem/pkg/httpjson"
	"github.com/cemhq/cem/services/query/internal/gdpr"
)

// gdprRequest resolves the {id} of an export or erasure: a junk or shared
// id is refused (400) before it is resolved, since it names many people.
func (s *server) gdprRequest(ctx context.Context, r *http.Request) (gdpr.Request, error) {
	if err := gdpr.CheckID(s.Junk, r.PathValue("id")); err != nil {
		return gdpr.Request{}, err
	}
	c, ids, err := s.customer(ctx, r)
	if err != nil {
		return gdpr.Request{}, err
	}
	t, _ := TokenFrom(ctx)
	return gdpr.Request{Customer: c, IDs: ids, Token: t.Name}, nil
}

// erase: DELETE /api/v1/customers/{id}.
func (s *server) erase(w http.ResponseWriter, r *http.Request) error {
	req, err := s.gdprRequest(r.Context(), r)
	if err != nil {
		return err
	}
	rec, err := s.Eraser.Erase(r.Context(), req)
	if err != nil {
		return err
	}
	s.Log.Info("customer erased", "receipt_id", rec.ReceiptID, "token", req.Token, "ids", len(rec.IDs),
		"tables", len(rec.Tables), "redacted", len(rec.Redacted), "writers", len(rec.Writers))
	return httpjson.Write(w, http.StatusOK, rec)
}

// export: GET /api/v1/customers/{id}/export.
func (s *server) export(w http.ResponseWriter, r *http.Request) error {
	req, err := s.gdprRequest(r.Context(), r)
	if err != nil {
		return err
	}
	x, err := s.Exporter.Export(r.Context(), req)
	if err != nil {
		return err
	}
	s.Log.Info("customer exported", "audit_id", x.Audit.ID, "token", req.Token, "ids", len(x.IDs))
	w.Header().Set("Content-Disposition", `attachment; filename="customer-export.json"`)
	return httpjson.Write(w, http.StatusOK, x)
}
