package httpapi

import (
	"encoding/csv"
	"fmt"
	"net/http"

	"github.com/cemhq/cem/pkg/httpjson"
	"github.com/cemhq/cem/services/query/internal/apierr"
	"github.com/cemhq/cem/services/query/internal/segments"
)

// segmentList: GET /api/v1/segments.
func (s *server) segmentList(w http.ResponseWriter, _ *http.Request) error {
	return httpjson.Write(w, http.StatusOK, map[string]any{"segments": s.Segments.List()})
}

// segment: GET /api/v1/segments/{name}?limit=&after=&format=json|csv.
func (s *server) segment(w http.ResponseWriter, r *http.Request) error {
	seg, ok := s.Segments.Get(r.PathValue("name"))
	if !ok {
		return apierr.NotFound("no such segment; GET /api/v1/segments lists them")
	}
	p := newParams(r)
	page := segments.Page{
		Limit:  int(p.integer("limit", 100, 1, int64(s.Limits.MaxRows))),
		After:  p.str("after", ""),
		Params: map[string]string{},
	}
	format := p.oneOf("format", "json", "json", "csv")
	for k := range p.v {
		switch k {
		case "limit", "after", "format":
		default:
			page.Params[k] = p.str(k, "")
		}
	}
	if p.err != nil {
		return p.err
	}
	m, err := seg.List(r.Context(), page)
	if err != nil {
		return err
	}
	if format == "json" {
		return httpjson.Write(w, http.StatusOK, m)
	}
	w.Header().Set("Content-Type", "text/csv; charset=utf-8")
	w.Header().Set("Content-Disposition", fmt.Sprintf(`attachment; filename="%s.csv"`, seg.Name()))
	cw := csv.NewWriter(w)
	_ = cw.Write(append([]string{"customer_id"}, m.Columns...))
	for _, mem := range m.Members {
		row := []string{csvText(mem.CustomerID)}
		for _, c := range m.Columns {
			row = append(row, csvCell(mem.Fields[c]))
		}
		_ = cw.Write(row)
	}
	cw.Flush()
	return cw.Error()
}
