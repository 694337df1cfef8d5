package segments

import (
	"context"
	"fmt"
	"regexp"
	"slices"
)

// Page selects a page of members, ordered by customer id.
type Page struct {
	// Limit is the page size, at least 1.
	Limit int
	// After is the last customer id of the previous page; empty for the
	// first page.
	After string
	// Params are extra segment parameters (e.g. days=30 for contracts
	// ending), already length-checked; a segment validates its own and
	// returns an apierr error for bad ones.
	Params map[string]string
}

// Member is one customer of a segment with the fields that explain the
// membership (e.g. health score, reasons).
type Member struct {
	CustomerID string         `json:"customer_id"`
	Fields     map[string]any `json:"fields,omitempty"`
}

// Members is a page of a segment.
type Members struct {
	Members []Member `json:"members"`
	// Next is the After of the next page; empty on the last page.
	Next string `json:"next,omitempty"`
	// Columns orders Fields for CSV export.
	Columns []string `json:"columns,omitempty"`
}

// Segment is one segment list. Implementations are safe for concurrent use
// and evaluate time-dependent conditions at query time.
type Segment interface {
	// Name is the URL name, [a-z0-9_]+.
	Name() string
	// Description says who is in the segment, in one sentence. Every
	// parameter is named in `backticks` (the UI reads them from there to ask
	// for the values).
	Description() string
	// List returns a page of members.
	List(ctx context.Context, p Page) (*Members, error)
}

// Point is a segment's size on one day.
type Point struct {
	Day   string `json:"day"` // YYYY-MM-DD
	Count uint64 `json:"count"`
}

// Historian is a Segment whose size over time can be read (from the daily
// score snapshots). Segments over facts the snapshots do not keep do not
// implement it.
type Historian interface {
	// History returns the segment's size per day in [from, to]
	// (YYYY-MM-DD), for the parameters of Page.Params.
	History(ctx context.Context, params map[string]string, from, to string) ([]Point, error)
}

// Registry holds the served segments by name.
type Registry struct {
	byName map[string]Segment
}

var nameRE = regexp.MustCompile(`^[a-z0-9_]{1,64}$`)

// NewRegistry returns a Registry of segs; names must be valid and unique.
func NewRegistry(segs ...Segment) (*Registry, error) {
	r := &Registry{byName: map[string]Segment{}}
	for _, s := range segs {
		if !nameRE.MatchString(s.Name()) {
			return nil, fmt.Errorf("segment name %q: want [a-z0-9_]{1,64}", s.Name())
		}
		if _, dup := r.byName[s.Name()]; dup {
			return nil, fmt.Errorf("segment %q registered twice", s.Name())
		}
		r.byName[s.Name()] = s
	}
	return r, nil
}

// Get returns the segment called name.
func (r *Registry) Get(name string) (Segment, bool) {
	s, ok := r.byName[name]
	return s, ok
}

// Info describes a registered segment.
type Info struct {
	Name        string `json:"name"`
	Description string `json:"description"`
	// History: GET /segments/{name}/history serves its size per day.
	History bool `json:"history"`
}

// List returns the registered segments by name.
func (r *Registry) List() []Info {
	out := make([]Info, 0, len(r.byName))
	for _, s := range r.byName {
		_, hist := s.(Historian)
		out = append(out, Info{Name: s.Name(), Description: s.Description(), History: hist})
	}
	slices.SortFunc(out, func(a, b Info) int {
		if a.Name < b.Name {
			return -1
		}
		return 1
	})
	return out
}
