package paths

import (
	"context"
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"

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
	return nil
}

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
type Engine struct{ st *chstore.Store }

// New returns an Engine reading st.
func New(st *chstore.Store) *Engine { return &Engine{st: st} }

// Run computes the paths of q (validated) around every anchor occurrence.
func (e *Engine) Run(ctx context.Context, q Query) (*Result, error) {
	return e.RunWhere(ctx, q, "", nil)
}

// RunWhere is Run where an anchor occurrence must also satisfy the SQL
// condition anchorCond over events columns (a constant of the caller with
// "?" placeholders bound to anchorArgs).
func (e *Engine) RunWhere(ctx context.Context, q Query, anchorCond string, anchorArgs []any) (*Result, error) {
	cond := chstore.StepExpr + " = ?"
	args := []any{q.Anchor}
	if anchorCond != "" {
		cond += " AND (" + anchorCond + ")"
		args = append(args, anchorArgs...)
	}
	cols := []string{"ts_ms", "cityHash64(event_id) AS eh", chstore.StepExpr + " AS step", "toUInt8(ifNull((" + cond + "), 0)) AS is_anchor"}
	var where []string
	if q.FromMs > 0 {
		where, args = append(where, "ts_ms >= ?"), append(args, q.FromMs)
	}
	if q.ToMs > 0 {
		where, args = append(where, "ts_ms < ?"), append(args, q.ToMs)
	}
	src := e.st.CustomerEvents(cols, strings.Join(where, " AND "), false)
	// Per customer: steps s and anchor flags f in time order (arrayDistinct
	// drops replayed duplicates, so no FINAL is needed); optionally
	// collapse consecutive repeats (an anchor is never dropped).
	// Lambdas take arrays as arguments, never capture them: 18.16 copies a
	// captured array into every element (quadratic memory).
	keep := "arrayMap(x -> toUInt8(1), s0)"
	if !q.KeepRepeats {
		keep = "arrayMap((x, prev, a) -> toUInt8(x != prev OR a = 1), s0, arrayPushFront(arrayPopBack(s0), ''), f0)"
	}
	slice := fmt.Sprintf("arraySlice(s, i, %d)", q.Depth+1)
	if q.Previous {
		slice = fmt.Sprintf("arraySlice(s, greatest(1, i - %d), i - greatest(1, i - %d) + 1)", q.Depth, q.Depth)
	}
	occ := fmt.Sprintf(`SELECT customer, %s AS path FROM (
  SELECT customer, s, arrayJoin(arrayFilter((i, a) -> a = 1, arrayEnumerate(f), f)) AS i FROM (
   SELECT customer, arrayFilter((x, k) -> k = 1, s0, ks) AS s, arrayFilter((x, k) -> k = 1, f0, ks) AS f FROM (
    SELECT customer, s0, f0, %s AS ks FROM (
     SELECT customer, arrayMap(x -> x.3, ev) AS s0, arrayMap(x -> x.4, ev) AS f0 FROM (
      SELECT customer, arraySort(arrayDistinct(groupArray((ts_ms, eh, step, is_anchor)))) AS ev
      FROM %s GROUP BY customer HAVING max(is_anchor) = 1)))))`, slice, keep, src)
	sql := fmt.Sprintf("SELECT path, count() AS n, uniqExact(customer) FROM (%s) GROUP BY path ORDER BY n DESC, path LIMIT %d", occ, q.Limit)
	res := &Result{Anchor: q.Anchor, Direction: "next", Depth: q.Depth, Steps: []StepCount{}, Paths: []Path{}}
	if q.Previous {
		res.Direction = "previous"
	}
	err := e.st.Select(ctx, func(rows driver.Rows) error {
		var p Path
		if err := rows.Scan(&p.Steps, &p.Occurrences, &p.Customers); err != nil {
			return err
		}
		res.Paths = append(res.Paths, p)
		return nil
	}, sql, args...)
	if err != nil {
		return nil, fmt.Errorf("paths: %w", err)
	}
	res.Steps, err = e.neighbours(ctx, occ, args, q)
	if err != nil {
		return nil, err
	}
	res.Nodes, res.Links = sankey(res.Paths, q.Previous)
	return res, nil
}

// neighbours counts the immediate next (previous) steps over all anchor
// occurrences, not only those on the top paths. Every path starts (ends) with
// the anchor, so element 2 (-2) is the neighbour.
func (e *Engine) neighbours(ctx context.Context, occ string, args []any, q Query) ([]StepCount, error) {
	idx := "2"
	if q.Previous {
		idx = "-2"
	}
	sql := fmt.Sprintf("SELECT path[%s] AS step, count() AS n FROM (%s) WHERE length(path) >= 2 GROUP BY step ORDER BY n DESC, step LIMIT %d",
		idx, occ, q.Limit)
	out := []StepCount{}
	err := e.st.Select(ctx, func(rows driver.Rows) error {
		var s StepCount
		if err := rows.Scan(&s.Step, &s.Occurrences); err != nil {
			return err
		}
		out = append(out, s)
		return nil
	}, sql, args...)
	if err != nil {
		return nil, fmt.Errorf("path neighbours: %w", err)
	}
	return out, nil
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
