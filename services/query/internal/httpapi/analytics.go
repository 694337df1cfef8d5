package httpapi

import (
	"net/http"

	"github.com/cemhq/cem/pkg/httpjson"
	"github.com/cemhq/cem/services/query/internal/apierr"
	"github.com/cemhq/cem/services/query/internal/experience"
	"github.com/cemhq/cem/services/query/internal/funnel"
	"github.com/cemhq/cem/services/query/internal/paths"
	"github.com/cemhq/cem/services/query/internal/retention"
	"github.com/cemhq/cem/services/query/internal/servicelevel"
)

// funnel: POST /api/v1/funnels with a funnel.Request body.
func (s *server) funnel(w http.ResponseWriter, r *http.Request) error {
	var req funnel.Request
	if err := decodeBody(w, r, &req); err != nil {
		return err
	}
	if err := req.Validate(s.Limits.MaxRows); err != nil {
		return err
	}
	res, err := s.Funnels.Run(r.Context(), &req)
	if err != nil {
		return err
	}
	return httpjson.Write(w, http.StatusOK, res)
}

// DefaultPathDays is the window of paths and journeys without "from": the
// last 30 days up to now (paths read every event of the window, customer by
// customer; over years of data that takes long).
const DefaultPathDays = 30

func pathsQuery(p *params) paths.Query {
	q := paths.Query{
		Anchor:      p.str("anchor", ""),
		Previous:    p.oneOf("direction", "next", "next", "previous") == "previous",
		Depth:       int(p.integer("depth", 3, 1, paths.MaxDepth)),
		Limit:       int(p.integer("limit", 20, 1, paths.MaxPaths)),
		FromMs:      p.timeMs("from"),
		ToMs:        p.timeMs("to"),
		KeepRepeats: p.boolean("keep_repeats"),
	}
	switch {
	case !p.v.Has("from"):
		q.RecentDays = int(p.integer("days", DefaultPathDays, 1, paths.MaxRecentDays))
	case p.v.Has("days"):
		p.setErr(apierr.BadParam("days", "give either from or days, not both"))
	}
	return q
}

// paths: GET /api/v1/paths.
func (s *server) paths(w http.ResponseWriter, r *http.Request) error {
	p := newParams(r)
	q := pathsQuery(p)
	if p.err != nil {
		return p.err
	}
	if err := q.Validate(); err != nil {
		return err
	}
	res, err := s.Paths.Run(r.Context(), q)
	if err != nil {
		return err
	}
	return httpjson.Write(w, http.StatusOK, res)
}

// retention: GET /api/v1/retention.
func (s *server) retention(w http.ResponseWriter, r *http.Request) error {
	p := newParams(r)
	q := retention.Query{
		Cohort:  p.oneOf("cohort", "first_seen", "first_seen", "first_order"),
		Event:   p.str("event", ""),
		Grain:   p.oneOf("grain", "week", "day", "week", "month"),
		Periods: int(p.integer("periods", 8, 1, retention.MaxPeriods)),
		FromMs:  p.timeMs("from"),
		ToMs:    p.timeMs("to"),
	}
	if p.err != nil {
		return p.err
	}
	if err := q.Validate(); err != nil {
		return err
	}
	m, err := s.Retention.Run(r.Context(), q)
	if err != nil {
		return err
	}
	return httpjson.Write(w, http.StatusOK, m)
}

func (s *server) experienceQuery(p *params, by string) experience.Query {
	q := experience.Query{
		Metric: p.oneOf("metric", "nps", "nps", "csat", "ces", "experience"),
		By:     by,
		Grain:  p.oneOf("grain", "month", "day", "week", "month"),
		FromMs: p.timeMs("from"),
		ToMs:   p.timeMs("to"),
		MinN:   uint64(p.integer("min_n", int64(s.Limits.MinN), 0, 1<<40)),
		Limit:  int(p.integer("limit", 100, 1, int64(s.Limits.MaxRows))),
	}
	if by == "" {
		q.By = p.oneOf("by", "touchpoint", "touchpoint", "channel", "source", "period")
		q.Worst = p.oneOf("sort", "key", "key", "worst") == "worst"
	}
	return q
}

// experience: GET /api/v1/experience.
func (s *server) experience(w http.ResponseWriter, r *http.Request) error {
	p := newParams(r)
	q := s.experienceQuery(p, "")
	return s.runExperience(w, r, p, q)
}

// worstTouchpoints: GET /api/v1/experience/touchpoints/worst.
func (s *server) worstTouchpoints(w http.ResponseWriter, r *http.Request) error {
	p := newParams(r)
	q := s.experienceQuery(p, "touchpoint")
	q.Worst = true
	return s.runExperience(w, r, p, q)
}

func (s *server) runExperience(w http.ResponseWriter, r *http.Request, p *params, q experience.Query) error {
	if p.err != nil {
		return p.err
	}
	if err := q.Validate(s.Limits.MaxRows); err != nil {
		return err
	}
	rep, err := s.Exp.Run(r.Context(), q)
	if err != nil {
		return err
	}
	return httpjson.Write(w, http.StatusOK, rep)
}

// journeys: GET /api/v1/experience/journeys.
func (s *server) journeys(w http.ResponseWriter, r *http.Request) error {
	p := newParams(r)
	q := pathsQuery(p)
	if p.err != nil {
		return p.err
	}
	q.Anchor = "NPS Submitted"
	if err := q.Validate(); err != nil {
		return err
	}
	res, err := experience.CompareJourneys(r.Context(), s.Paths, q)
	if err != nil {
		return err
	}
	return httpjson.Write(w, http.StatusOK, res)
}

// service: GET /api/v1/service.
func (s *server) service(w http.ResponseWriter, r *http.Request) error {
	p := newParams(r)
	q := servicelevel.Query{FromMs: p.timeMs("from"), ToMs: p.timeMs("to")}
	if p.err != nil {
		return p.err
	}
	if err := q.Validate(); err != nil {
		return err
	}
	rep, err := s.Service.Run(r.Context(), q)
	if err != nil {
		return err
	}
	return httpjson.Write(w, http.StatusOK, rep)
}
