package httpapi

import (
	"context"
	"net/http"

	"github.com/cemhq/cem/pkg/httpjson"
	"github.com/cemhq/cem/services/query/internal/apierr"
	"github.com/cemhq/cem/services/query/internal/journey"
)

// maxLookup caps the customers a trait search returns.
const maxLookup = 100

type match struct {
	CustomerID string   `json:"customer_id"`
	IDs        []string `json:"ids"`
}

// lookup: GET /api/v1/customers?id=X | email=X | name=X.
func (s *server) lookup(w http.ResponseWriter, r *http.Request) error {
	p := newParams(r)
	id, email, name := p.v.Get("id"), p.v.Get("email"), p.v.Get("name")
	if p.err != nil {
		return p.err
	}
	given := 0
	for _, v := range []string{id, email, name} {
		if v != "" {
			given++
		}
	}
	if given != 1 {
		return apierr.BadParam("id", "give exactly one of id, email or name")
	}
	var customers []string
	switch {
	case id != "":
		c, found, err := s.Resolver.Canonical(r.Context(), id)
		if err != nil {
			return err
		}
		if found {
			customers = []string{c}
		}
	case email != "":
		cs, err := s.Resolver.ByTrait(r.Context(), journey.TraitEmail, email, maxLookup)
		if err != nil {
			return err
		}
		customers = cs
	default:
		cs, err := s.Resolver.ByTrait(r.Context(), journey.TraitName, name, maxLookup)
		if err != nil {
			return err
		}
		customers = cs
	}
	out := []match{}
	for _, c := range customers {
		var known []string
		if id != "" {
			known = []string{id}
		}
		ids, err := s.Resolver.IDs(r.Context(), c, known...)
		if err != nil {
			return err
		}
		out = append(out, match{CustomerID: c, IDs: ids})
	}
	return httpjson.Write(w, http.StatusOK, map[string]any{"customers": out})
}

// customer resolves the {id} path value to the canonical customer and ids;
// 404 when cem never saw it.
func (s *server) customer(ctx context.Context, r *http.Request) (string, []string, error) {
	id := r.PathValue("id")
	c, found, err := s.Resolver.Canonical(ctx, id)
	if err != nil {
		return "", nil, err
	}
	if !found {
		return "", nil, apierr.NotFound("no customer is known by this id")
	}
	ids, err := s.Resolver.IDs(ctx, c, id)
	if err != nil {
		return "", nil, err
	}
	return c, ids, nil
}

// profile: GET /api/v1/customers/{id}.
func (s *server) profile(w http.ResponseWriter, r *http.Request) error {
	c, ids, err := s.customer(r.Context(), r)
	if err != nil {
		return err
	}
	p, err := s.Resolver.Profile(r.Context(), c, ids, s.Enrichers)
	if err != nil {
		return err
	}
	return httpjson.Write(w, http.StatusOK, p)
}

// timeline: GET /api/v1/customers/{id}/timeline.
func (s *server) timeline(w http.ResponseWriter, r *http.Request) error {
	p := newParams(r)
	q := journey.TimelineQuery{
		FromMs:   p.timeMs("from"),
		ToMs:     p.timeMs("to"),
		Channels: p.list("channel"),
		Events:   p.list("event"),
		Limit:    int(p.integer("limit", 100, 1, int64(s.Limits.MaxRows))),
		Desc:     p.oneOf("order", "asc", "asc", "desc") == "desc",
	}
	if p.err != nil {
		return p.err
	}
	var err error
	if q.After, err = journey.DecodeCursor(p.v.Get("cursor")); err != nil {
		return err
	}
	if err := q.Validate(s.Limits.MaxRows); err != nil {
		return err
	}
	c, ids, err := s.customer(r.Context(), r)
	if err != nil {
		return err
	}
	t, err := s.Resolver.Timeline(r.Context(), c, ids, q)
	if err != nil {
		return err
	}
	return httpjson.Write(w, http.StatusOK, t)
}
