package paths

import (
	"context"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"

	"github.com/cemhq/cem/pkg/eventsql"
	"github.com/cemhq/cem/services/query/internal/apierr"
	"github.com/cemhq/cem/services/query/internal/chstore"
)

// Limits of a paths query.
const (
	MaxDepth = 8
	MaxPaths = 200
)

// Query selects the paths around an anchor step.
type Query struct {
	// Anchor is the step name (event name or "page:Name").
	Anchor string
	// Previous looks at the steps before the anchor instead of after.
	Previous bool
	// Depth is the number of steps after (before) the anchor, 1..8.
	Depth int
	// Limit is the number of top paths returned, 1..200.
	Limit int
	// FromMs and ToMs bound event time [from, to) in epoch ms; 0 = open.
	FromMs, ToMs int64
	// RecentDays, when FromMs is 0, bounds the paths to the last RecentDays
	// days before ToMs, or before now when ToMs is 0 (then ToMs becomes
	// now): the clock, not the newest event, so that an event stamped far
	// in the future cannot move the window past everyone's data. 0: no
	// default bound.
	RecentDays int
	// KeepRepeats keeps consecutive repeats of a step (page, page, page);
	// by default they collapse into one.
	KeepRepeats bool
}

// Validate checks q.
func (q *Query) Validate() error {
	if strings.TrimSpace(q.Anchor) == "" || len(q.Anchor) > 256 || !utf8.ValidString(q.Anchor) {
		return apierr.BadParam("anchor", "must be a non-empty step name of at most 256 bytes")
	}
	if q.Depth < 1 || q.Depth > MaxDepth {
		return apierr.BadParam("depth", "must be between 1 and %d", MaxDepth)
	}
	if q.Limit < 1 || q.Limit > MaxPaths {
		return apierr.BadParam("limit", "must be between 1 and %d", MaxPaths)
	}
	if q.FromMs < 0 || q.ToMs < 0 || (q.ToMs != 0 && q.ToMs <= q.FromMs) {
		return apierr.BadParam("to", "the range must be non-negative and end after it starts")
	}
	if q.RecentDays < 0 || q.RecentDays > MaxRecentDays {
		return apierr.BadParam("days", "must be between 1 and %d", MaxRecentDays)
	}
	return nil
}

// MaxRecentDays caps Query.RecentDays.
const MaxRecentDays = 3660

// Path is one sequence of steps in time order, anchor included, with how
// often it occurred and for how many customers.
type Path struct {
	Steps       []string `json:"steps"`
	Occurrences uint64   `json:"occurrences"`
	Customers   uint64   `json:"customers"`
}

// Node is a Sankey node: a step at a position relative to the anchor (0 is
// the anchor, 1 the next step, -1 the previous one).
type Node struct {
	ID       string `json:"id"`
	Step     string `json:"step"`
	Position int    `json:"position"`
}

// Link is a Sankey link between two nodes, weighted by path occurrences.
type Link struct {
	Source string `json:"source"`
	Target string `json:"target"`
	Value  uint64 `json:"value"`
}

// Result holds the top paths and the same data shaped for a Sankey chart.
type Result struct {
	Anchor    string `json:"anchor"`
	Direction string `json:"direction"`
	Depth     int    `json:"depth"`
	// FromMs and ToMs are the event-time range the paths were computed
	// over, [from, to) in epoch ms; 0 = open.
	FromMs int64 `json:"from_ms"`
	ToMs   int64 `json:"to_ms"`
	// Steps are the most frequent immediate next (previous) steps.
	Steps []StepCount `json:"steps"`
	Paths []Path      `json:"paths"`
	Nodes []Node      `json:"nodes"`
	Links []Link      `json:"links"`
}

// StepCount counts one immediate neighbour of the anchor.
type StepCount struct {
	Step        string `json:"step"`
	Occurrences uint64 `json:"occurrences"`
}

// Engine computes paths.
type Engine struct {
	st  *chstore.Store
	now func() time.Time
}

// New returns an Engine reading st.
func New(st *chstore.Store) *Engine { return &Engine{st: st, now: time.Now} }

// Run computes the paths of q (validated) around every anchor occurrence.
func (e *Engine) Run(ctx context.Context, q Query) (*Result, error) {
	return e.RunWhere(ctx, q, "", nil)
}

// RunWhere is Run where an anchor occurrence must also satisfy the SQL
// condition anchorCond over events columns (a constant of the caller with
// "?" placeholders bound to anchorArgs).
func (e *Engine) RunWhere(ctx context.Context, q Query, anchorCond string, anchorArgs []any) (*Result, error) {
	q, err := e.Resolve(ctx, q)
	if err != nil {
		return nil, err
	}
	cond := chstore.StepExpr + " = ?"
	args := []any{q.Anchor}
	if anchorCond != "" {
		cond += " AND (" + anchorCond + ")"
		args = append(args, anchorArgs...)
	}
	cols := []string{"ts_ms", "cityHash64(event_id) AS eh", chstore.StepExpr + " AS step", "toUInt8(ifNull((" + cond + "), 0)) AS is_anchor"}
	args = append(args, eventsql.RangeArgs(q.FromMs, q.ToMs)...)
	src := e.st.CustomerEvents(cols, "", true, "")
	// Per customer: steps s and anchor flags f in time order; optionally
	// collapse consecutive repeats (an anchor is never dropped).
	// Lambdas take arrays as arguments, never capture them: 18.16 copies a
	// captured array into every element (quadratic memory).
	keep := "arrayMap(x -> toUInt8(1), s0)"
	if !q.KeepRepeats {
		keep = "arrayMap((x, prev, a) -> toUInt8(x != prev OR a = 1), s0, arrayPushFront(arrayPopBack(s0), ''), f0)"
	}
	slice := fmt.Sprintf("arraySlice(s, i, %d)", q.Depth+1)
	// Every path starts (ends) with the anchor: nb is the step next to it
	// ('' when there is none) and rest the steps beyond, behind a '' so
	// that it is never empty.
	nb, rest := "path[2]", "arrayPushFront(arraySlice(path, 3), '')"
	if q.Previous {
		slice = fmt.Sprintf("arraySlice(s, greatest(1, i - %d), i - greatest(1, i - %d) + 1)", q.Depth, q.Depth)
		nb, rest = "if(length(path) >= 2, path[-2], '')", "arrayPushFront(arraySlice(path, 1, length(path) - 2), '')"
	}
	occ := fmt.Sprintf(`SELECT customer, %s AS path FROM (
  SELECT customer, s, arrayJoin(arrayFilter((i, a) -> a = 1, arrayEnumerate(f), f)) AS i FROM (
   SELECT customer, arrayFilter((x, k) -> k = 1, s0, ks) AS s, arrayFilter((x, k) -> k = 1, f0, ks) AS f FROM (
    SELECT customer, s0, f0, %s AS ks FROM (
     SELECT customer, arrayMap(x -> x.3, ev) AS s0, arrayMap(x -> x.4, ev) AS f0 FROM (
      SELECT customer, arraySort(arrayDistinct(groupArray((ts_ms, eh, step, is_anchor)))) AS ev
      FROM %s GROUP BY customer HAVING max(is_anchor) = 1)))))`, slice, keep, src)
	// One pass for both answers: WITH ROLLUP adds, per neighbour, the
	// subtotal over all its paths (rest rolled up to []), so the top paths
	// and the top neighbours come from the same scan; LIMIT BY keeps the
	// top of each (two more subtotal rows: no neighbour, grand total).
	sql := fmt.Sprintf(`SELECT nb, rest, count() AS n, uniqExact(customer) AS c
FROM (SELECT customer, %s AS nb, %s AS rest FROM (%s))
GROUP BY nb, rest WITH ROLLUP
ORDER BY length(rest) = 0, n DESC, nb, rest
LIMIT %d BY length(rest) = 0`, nb, rest, occ, q.Limit+2)
	res := &Result{Anchor: q.Anchor, Direction: "next", Depth: q.Depth, FromMs: q.FromMs, ToMs: q.ToMs, Steps: []StepCount{}, Paths: []Path{}}
	if q.Previous {
		res.Direction = "previous"
	}
	err = e.st.Select(ctx, func(rows driver.Rows) error {
		var (
			step  string
			after []string
			n, c  uint64
		)
		if err := rows.Scan(&step, &after, &n, &c); err != nil {
			return err
		}
		switch {
		case len(after) == 0: // a neighbour's subtotal, or the grand total
			if step != "" && len(res.Steps) < q.Limit {
				res.Steps = append(res.Steps, StepCount{Step: step, Occurrences: n})
			}
		case len(res.Paths) < q.Limit:
			res.Paths = append(res.Paths, Path{Steps: pathSteps(q, step, after[1:]), Occurrences: n, Customers: c})
		}
		return nil
	}, sql, args...)
	if err != nil {
		return nil, fmt.Errorf("paths: %w", err)
	}
	res.Nodes, res.Links = sankey(res.Paths, q.Previous)
	return res, nil
}

// pathSteps rebuilds a path from the anchor, its neighbour nb (empty if none)
// and the steps beyond it.
func pathSteps(q Query, nb string, beyond []string) []string {
	if nb == "" {
		return []string{q.Anchor}
	}
	if q.Previous {
		return append(append(beyond, nb), q.Anchor)
	}
	return append([]string{q.Anchor, nb}, beyond...)
}

// Resolve turns q.RecentDays into q.FromMs (and, without q.ToMs, sets
// q.ToMs to now). RunWhere does it itself; a caller that runs the same q
// several times resolves it once first, so that every run covers the same
// range.
func (e *Engine) Resolve(_ context.Context, q Query) (Query, error) {
	if q.FromMs != 0 || q.RecentDays <= 0 {
		return q, nil
	}
	if q.ToMs == 0 {
		q.ToMs = e.now().UnixMilli() + 1 // [from, to): events of this millisecond count
	}
	q.FromMs, q.RecentDays = max(0, q.ToMs-int64(q.RecentDays)*86_400_000), 0
	return q, nil
}

// sankey turns paths into nodes and links; positions count from the anchor.
func sankey(ps []Path, previous bool) ([]Node, []Link) {
	nodes := []Node{}
	links := []Link{}
	seen := map[string]bool{}
	linkIdx := map[[2]string]int{}
	for _, p := range ps {
		anchorAt := 0
		if previous {
			anchorAt = len(p.Steps) - 1
		}
		ids := make([]string, len(p.Steps))
		for i, s := range p.Steps {
			pos := i - anchorAt
			ids[i] = fmt.Sprintf("%d:%s", pos, s)
			if !seen[ids[i]] {
				seen[ids[i]] = true
				nodes = append(nodes, Node{ID: ids[i], Step: s, Position: pos})
			}
			if i > 0 {
				k := [2]string{ids[i-1], ids[i]}
				if j, ok := linkIdx[k]; ok {
					links[j].Value += p.Occurrences
				} else {
					linkIdx[k] = len(links)
					links = append(links, Link{Source: k[0], Target: k[1], Value: p.Occurrences})
				}
			}
		}
	}
	return nodes, links
}
