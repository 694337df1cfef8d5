package httpapi

import (
	"net/http"
	"time"

	"github.com/cemhq/cem/pkg/alerting"
	"github.com/cemhq/cem/pkg/httpjson"
	"github.com/cemhq/cem/services/query/internal/alerts"
	"github.com/cemhq/cem/services/query/internal/apierr"
	"github.com/cemhq/cem/services/query/internal/segments"
)

// alertList: GET /api/v1/alerts?days=7&reason=&customer=&state=&owner=&limit=.
func (s *server) alertList(w http.ResponseWriter, r *http.Request) error {
	p := newParams(r)
	f := alerts.Filter{
		Days:       p.integer("days", 7, 1, 3650),
		Reason:     p.oneOf("reason", "", append([]string{""}, alerting.Reasons()...)...),
		CustomerID: p.str("customer", ""),
		State:      p.oneOf("state", "", append([]string{""}, alerts.States...)...),
		Owner:      p.str("owner", ""),
		Limit:      int(p.integer("limit", 100, 1, int64(s.Limits.MaxRows))),
	}
	if p.err != nil {
		return p.err
	}
	list, err := s.Alerts.Open(r.Context(), f)
	if err != nil {
		return err
	}
	return httpjson.Write(w, http.StatusOK, map[string]any{"alerts": list, "days": f.Days})
}

// alertCase: GET /api/v1/alerts/{id}: the alert, its case and every
// change.
func (s *server) alertCase(w http.ResponseWriter, r *http.Request) error {
	a, changes, err := s.Alerts.Case(r.Context(), r.PathValue("id"))
	if err != nil {
		return err
	}
	return httpjson.Write(w, http.StatusOK, map[string]any{"alert": a, "changes": changes})
}

// alertCaseChange: POST /api/v1/alerts/{id}/case {"state","owner","note"}
// (write scope): the change is stored with the token's name and time.
func (s *server) alertCaseChange(w http.ResponseWriter, r *http.Request) error {
	var c alerts.Change
	if err := decodeBody(w, r, &c); err != nil {
		return err
	}
	tok, _ := TokenFrom(r.Context())
	a, changes, err := s.Alerts.Update(r.Context(), r.PathValue("id"), c, tok.Name)
	if err != nil {
		return err
	}
	return httpjson.Write(w, http.StatusOK, map[string]any{"alert": a, "changes": changes})
}

// alertFigures: GET /api/v1/alerts/figures?days=90: open cases, time to
// first contact and to resolution, and the outcome, per reason and channel.
func (s *server) alertFigures(w http.ResponseWriter, r *http.Request) error {
	p := newParams(r)
	days := p.integer("days", 90, 1, 3650)
	if p.err != nil {
		return p.err
	}
	f, err := s.Alerts.Figures(r.Context(), days)
	if err != nil {
		return err
	}
	return httpjson.Write(w, http.StatusOK, f)
}

// segmentHistory: GET /api/v1/segments/{name}/history?from=&to= (days,
// YYYY-MM-DD; default the last 90 days) plus the segment's parameters.
func (s *server) segmentHistory(w http.ResponseWriter, r *http.Request) error {
	seg, ok := s.Segments.Get(r.PathValue("name"))
	if !ok {
		return apierr.NotFound("no such segment; GET /api/v1/segments lists them")
	}
	h, ok := seg.(segments.Historian)
	if !ok {
		return apierr.BadParam("name", "segment %s has no history", seg.Name())
	}
	p := newParams(r)
	today := time.Now().UTC()
	from := p.date("from", today.AddDate(0, 0, -90))
	to := p.date("to", today)
	params := map[string]string{}
	for k := range p.v {
		if k != "from" && k != "to" {
			params[k] = p.str(k, "")
		}
	}
	if p.err != nil {
		return p.err
	}
	if to.Before(from) {
		return apierr.BadParam("to", "must not be before from")
	}
	points, err := h.History(r.Context(), params, from.Format(time.DateOnly), to.Format(time.DateOnly))
	if err != nil {
		return err
	}
	return httpjson.Write(w, http.StatusOK, map[string]any{"segment": seg.Name(), "from": from.Format(time.DateOnly), "to": to.Format(time.DateOnly), "points": points})
}
