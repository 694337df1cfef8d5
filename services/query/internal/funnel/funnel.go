package funnel

import (
	"context"
	"fmt"
	"math"
	"strings"

	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"

	"github.com/cemhq/cem/pkg/eventsql"
	"github.com/cemhq/cem/services/query/internal/chstore"
)

// MaxBreakdownValues caps the breakdown groups returned (largest first).
const MaxBreakdownValues = 50

// Result is a computed funnel.
type Result struct {
	Steps     []StepResult `json:"steps"`
	Breakdown []Group      `json:"breakdown,omitempty"`
	Dropoff   *Dropoff     `json:"dropoff,omitempty"`
}

// Group is the funnel of one breakdown value.
type Group struct {
	Value string       `json:"value"`
	Steps []StepResult `json:"steps"`
}

// StepResult is one step's numbers.
type StepResult struct {
	Step  int    `json:"step"`
	Event string `json:"event"`
	// Customers reached this step (and every step before it, in order).
	Customers uint64 `json:"customers"`
	// ConversionFromPrevious is Customers / previous step's Customers (1 for
	// step 1); ConversionFromFirst is Customers / step 1's Customers.
	ConversionFromPrevious float64 `json:"conversion_from_previous"`
	ConversionFromFirst    float64 `json:"conversion_from_first"`
	// DroppedAfter reached this step but not the next one.
	DroppedAfter uint64 `json:"dropped_after"`
	// MedianSecondsFromPrevious is nil for step 1 or when nobody reached it.
	MedianSecondsFromPrevious *float64 `json:"median_seconds_from_previous"`
}

// Dropoff is a page of the customers who stopped at a step.
type Dropoff struct {
	Step      int      `json:"step"`
	Customers []string `json:"customers"`
	NextAfter string   `json:"next_after,omitempty"`
}

// Engine computes funnels.
type Engine struct{ st *chstore.Store }

// New returns an Engine reading st.
func New(st *chstore.Store) *Engine { return &Engine{st: st} }

// perCustomer returns the per-customer subquery (customer, level, bd, t1..tn)
// and its arguments.
func (e *Engine) perCustomer(r *Request) (string, []any) {
	n := len(r.Steps)
	var cols []string
	var args []any
	names := make([]string, n)
	for i, s := range r.Steps {
		c, a := s.cond()
		cols = append(cols, fmt.Sprintf("%s AS c%d", c, i+1))
		args = append(args, a...)
		names[i] = s.Event
	}
	bd := "''"
	if col, ok := breakdowns[r.Breakdown]; ok && r.Breakdown != "" {
		bd = col
	}
	cols = append(cols, "timestamp", "ts_ms", "event_id", bd+" AS bd")
	if r.Strict {
		sn := make([]string, 0, 2*n+1)
		for i := range n {
			sn = append(sn, fmt.Sprintf("c%d", i+1), fmt.Sprint(i+1))
		}
		cols = append(cols, "toUInt8(multiIf("+strings.Join(sn, ", ")+", 0)) AS sn")
	}
	var match string
	if !r.Strict {
		match = chstore.StepExpr + " IN ?"
		args = append(args, chstore.Set(names))
	}
	args = append(args, eventsql.RangeArgs(r.FromMs, r.ToMs)...)
	src := e.st.CustomerEvents(cols, match, true, "")

	conds := make([]string, n)
	for i := range conds {
		conds[i] = fmt.Sprintf("c%d", i+1)
	}
	arrs := make([]string, n)
	for i := range arrs {
		arrs[i] = fmt.Sprintf("arraySort(groupArrayIf(ts_ms, c%d)) AS a%d", i+1, i+1)
	}
	var level, middle string
	if r.Strict {
		// The source has one row per event id (FINAL): copies of
		// separate deliveries differ in ts_ms, so this set would drop
		// only exact copies, and any other copy would break adjacency.
		level = "arrayMap(x -> x.3, arraySort(groupUniqArray((ts_ms, event_id, sn, toInt64(timestamp))))) AS m, " +
			"arrayMap(x -> x.4, arraySort(groupUniqArray((ts_ms, event_id, sn, toInt64(timestamp))))) AS ts"
		middle = "m, ts, " + strictLevel(n, r.WindowSeconds) + " AS level"
	} else {
		level = fmt.Sprintf("windowFunnel(%d)(timestamp, %s) AS wf", r.WindowSeconds, strings.Join(conds, ", "))
		middle = "wf AS level"
	}
	inner := fmt.Sprintf("SELECT customer, %s, argMinIf(bd, ts_ms, c1) AS bd, %s FROM %s GROUP BY customer",
		level, strings.Join(arrs, ", "), src)
	// The greedy chain from the first step-1 event. Every array and t is
	// selected so that 18.16 resolves it inside the lambdas.
	ts := []string{"customer", middle, "bd"}
	for i := 1; i <= n; i++ {
		ts = append(ts, fmt.Sprintf("a%d", i))
	}
	ts = append(ts, "arrayReduce('min', a1) AS t1")
	for i := 2; i <= n; i++ {
		ts = append(ts, fmt.Sprintf("if(t%d = 0, 0, arrayFirst(x -> x > t%d, a%d)) AS t%d", i-1, i-1, i, i))
	}
	return fmt.Sprintf("SELECT customer, level, bd, %s FROM (SELECT %s FROM (%s)) WHERE level >= 1",
		strings.Join(tNames(n), ", "), strings.Join(ts, ", "), inner), args
}

func tNames(n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = fmt.Sprintf("t%d", i+1)
	}
	return out
}

// strictLevel returns the level expression of a strict funnel over the
// customer's step numbers m and times ts (seconds) in event order: the
// longest prefix of steps done as consecutive events, the last within
// window seconds of the first. (18.16's sequenceMatch cannot combine
// adjacency with a time limit: its (?t<=N) lets other events in between.)
func strictLevel(n int, window int64) string {
	// shift(x, j) is x without its first j elements, padded with zeros to
	// its length, so a lambda over shifted arrays sees event i and i+j
	// together (18.16 lambdas cannot capture outer columns reliably).
	shift := func(arr, zero string, j int) string {
		if j == 0 {
			return arr
		}
		return fmt.Sprintf("arrayConcat(arraySlice(%s, %d), arrayMap(x -> %s, arraySlice(%s, 1, %d)))", arr, j+1, zero, arr, j)
	}
	var parts []string
	for k := n; k >= 2; k-- {
		var params, cond, args []string
		for j := range k {
			params = append(params, fmt.Sprintf("m%d", j))
			cond = append(cond, fmt.Sprintf("m%d = %d", j, j+1))
			args = append(args, shift("m", "toUInt8(0)", j))
		}
		params = append(params, "t0", "tk")
		args = append(args, "ts", shift("ts", "toInt64(0)", k-1))
		cond = append(cond, fmt.Sprintf("tk - t0 <= %d", window))
		parts = append(parts, fmt.Sprintf("arrayExists((%s) -> %s, %s), %d",
			strings.Join(params, ", "), strings.Join(cond, " AND "), strings.Join(args, ", "), k))
	}
	parts = append(parts, "has(m, 1), 1", "0")
	return "multiIf(" + strings.Join(parts, ", ") + ")"
}

// Run computes the funnel r (validated).
func (e *Engine) Run(ctx context.Context, r *Request) (*Result, error) {
	pc, args := e.perCustomer(r)
	n := len(r.Steps)
	aggs := make([]string, 0, 2*n)
	for k := 1; k <= n; k++ {
		aggs = append(aggs, fmt.Sprintf("countIf(level >= %d)", k))
	}
	for k := 2; k <= n; k++ {
		aggs = append(aggs, fmt.Sprintf("quantileExactIf(0.5)((t%d - t%d) / 1000, level >= %d AND t%d > 0)", k, k-1, k, k))
	}
	// With a breakdown, WITH TOTALS yields the overall funnel from the same
	// pass (computed over all groups, before the LIMIT).
	bdCol, group, order := "''", "", ""
	if r.Breakdown != "" {
		bdCol, group, order = "bd", " GROUP BY bd WITH TOTALS", fmt.Sprintf(" ORDER BY countIf(level >= 1) DESC, bd LIMIT %d", MaxBreakdownValues)
	}
	sql := fmt.Sprintf("SELECT %s, %s FROM (%s)%s%s", bdCol, strings.Join(aggs, ", "), pc, group, order)
	res := &Result{}
	var groups []Group
	dest := func() (*string, []uint64, []float64, []any) {
		var bd string
		counts := make([]uint64, n)
		medians := make([]float64, n-1)
		d := []any{&bd}
		for i := range counts {
			d = append(d, &counts[i])
		}
		for i := range medians {
			d = append(d, &medians[i])
		}
		return &bd, counts, medians, d
	}
	scan := func(rows driver.Rows) error {
		bd, counts, medians, d := dest()
		if err := rows.Scan(d...); err != nil {
			return err
		}
		groups = append(groups, Group{Value: *bd, Steps: steps(r, counts, medians)})
		return nil
	}
	var err error
	if r.Breakdown == "" {
		err = e.st.Select(ctx, scan, sql, args...)
	} else {
		_, tc, tm, td := dest()
		err = e.st.SelectTotals(ctx, scan, func() []any { return td }, sql, args...)
		res.Steps = steps(r, tc, tm)
	}
	if err != nil {
		return nil, fmt.Errorf("funnel: %w", err)
	}
	if r.Breakdown == "" {
		if len(groups) == 1 {
			res.Steps = groups[0].Steps
		} else {
			res.Steps = steps(r, make([]uint64, n), make([]float64, n-1))
		}
	} else {
		res.Breakdown = groups
	}
	if r.Dropoff != nil {
		if res.Dropoff, err = e.dropoff(ctx, r); err != nil {
			return nil, err
		}
	}
	return res, nil
}

func (e *Engine) dropoff(ctx context.Context, r *Request) (*Dropoff, error) {
	pc, args := e.perCustomer(r)
	d := r.Dropoff
	sql := fmt.Sprintf("SELECT customer FROM (%s) WHERE level = ? AND customer > ? ORDER BY customer LIMIT %d", pc, d.Limit+1)
	args = append(args, d.Step, d.After)
	out := &Dropoff{Step: d.Step, Customers: []string{}}
	err := e.st.Select(ctx, func(rows driver.Rows) error {
		var c string
		if err := rows.Scan(&c); err != nil {
			return err
		}
		out.Customers = append(out.Customers, c)
		return nil
	}, sql, args...)
	if err != nil {
		return nil, fmt.Errorf("funnel drop-off: %w", err)
	}
	if len(out.Customers) > d.Limit {
		out.Customers = out.Customers[:d.Limit]
		out.NextAfter = out.Customers[d.Limit-1]
	}
	return out, nil
}

func steps(r *Request, counts []uint64, medians []float64) []StepResult {
	out := make([]StepResult, len(counts))
	for i, c := range counts {
		s := StepResult{Step: i + 1, Event: r.Steps[i].Event, Customers: c, ConversionFromPrevious: 1, ConversionFromFirst: 1}
		if i > 0 {
			s.ConversionFromPrevious = ratio(c, counts[i-1])
			s.ConversionFromFirst = ratio(c, counts[0])
			if m := medians[i-1]; c > 0 && !math.IsNaN(m) && !math.IsInf(m, 0) {
				s.MedianSecondsFromPrevious = &m
			}
		}
		if i+1 < len(counts) {
			s.DroppedAfter = c - counts[i+1]
		} else {
			s.DroppedAfter = 0
		}
		out[i] = s
	}
	return out
}

func ratio(a, b uint64) float64 {
	if b == 0 {
		return 0
	}
	return float64(a) / float64(b)
}
