package scoresegments

import (
	"context"
	"fmt"
	"strconv"
	"unicode/utf8"

	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"

	"github.com/cemhq/cem/services/query/internal/apierr"
	"github.com/cemhq/cem/services/query/internal/chstore"
	"github.com/cemhq/cem/services/query/internal/segments"
)

// columns are the explaining fields of every member, from customer_current.
var columns = []string{
	"health", "churn_risk", "churn_reasons", "loyalty_stage", "rfm_segment", "lifecycle_now",
	"nps_latest", "days_since_activity", "contract_ends_in_days", "sleeper_now",
}

// param is a segment parameter bound into the condition.
type param struct {
	name     string
	required bool
	def      string
	parse    func(string) (any, error)
}

// segment is a segment defined by a condition over customer_current.
type segment struct {
	st    *chstore.Store
	name  string
	desc  string
	cond  string // SQL over customer_current columns with "?" for params
	hist  string // the same over score_snapshots columns; "" when not kept there
	extra string // optional "customer_id IN (subquery)" over another table
	ps    []param
}

// bind validates params and returns them in the order of s.ps.
func (s *segment) bind(params map[string]string) ([]any, error) {
	var args []any
	for _, pr := range s.ps {
		v, ok := params[pr.name]
		if !ok || v == "" {
			if pr.required {
				return nil, apierr.BadParam(pr.name, "is required for segment %s", s.name)
			}
			v = pr.def
		}
		a, err := pr.parse(v)
		if err != nil {
			return nil, apierr.BadParam(pr.name, "%v", err)
		}
		args = append(args, a)
	}
	for k := range params {
		if !s.hasParam(k) {
			return nil, apierr.BadParam(safe(k), "unknown parameter for segment %s", s.name)
		}
	}
	return args, nil
}

// historySegment is a segment whose condition the daily snapshots can
// evaluate (hist is set): it implements segments.Historian.
type historySegment struct{ *segment }

// History counts the segment's members per day from score_snapshots (the
// daily, never overwritten record of each customer's scores).
func (s historySegment) History(ctx context.Context, params map[string]string, from, to string) ([]segments.Point, error) {
	args, err := s.bind(params)
	if err != nil {
		return nil, err
	}
	// ifNull: over a Nullable column 18.16 types countIf Nullable(UInt64),
	// current ClickHouse UInt64; this way it is UInt64 on both.
	q := fmt.Sprintf(`SELECT toString(day), countIf(ifNull(%s, 0)) FROM %s.score_snapshots FINAL
WHERE day >= toDate(?) AND day <= toDate(?) GROUP BY day ORDER BY day`, s.hist, s.st.DB())
	out := []segments.Point{}
	err = s.st.Select(ctx, func(rows driver.Rows) error {
		var p segments.Point
		if err := rows.Scan(&p.Day, &p.Count); err != nil {
			return err
		}
		out = append(out, p)
		return nil
	}, q, append(args, from, to)...)
	return out, err
}

func (s *segment) Name() string        { return s.name }
func (s *segment) Description() string { return s.desc }

// List returns a page of members ordered by customer id.
func (s *segment) List(ctx context.Context, p segments.Page) (*segments.Members, error) {
	args, err := s.bind(p.Params)
	if err != nil {
		return nil, err
	}
	cond := s.cond
	if s.extra != "" {
		cond = "(" + cond + ") AND " + fmt.Sprintf(s.extra, s.st.DB())
	}
	q := fmt.Sprintf(`SELECT customer_id, health, churn_risk, churn_reasons, loyalty_stage, rfm_segment, lifecycle_now,
 nps_latest, days_since_activity, contract_ends_in_days, sleeper_now
FROM %s.customer_current WHERE (%s) AND customer_id > ? ORDER BY customer_id LIMIT %d`, s.st.DB(), cond, p.Limit+1)
	args = append(args, p.After)
	out := &segments.Members{Members: []segments.Member{}, Columns: columns}
	err = s.st.Select(ctx, func(rows driver.Rows) error {
		var (
			id, risk, loyalty, rfm, life string
			health                       float64
			reasons                      []string
			nps                          *float64
			days, ends                   int64
			sleeper                      uint8
		)
		if err := rows.Scan(&id, &health, &risk, &reasons, &loyalty, &rfm, &life, &nps, &days, &ends, &sleeper); err != nil {
			return err
		}
		f := map[string]any{
			"health": health, "churn_risk": risk, "churn_reasons": reasons, "loyalty_stage": loyalty, "rfm_segment": rfm,
			"lifecycle_now": life, "days_since_activity": days, "contract_ends_in_days": ends, "sleeper_now": sleeper == 1,
		}
		if nps != nil {
			f["nps_latest"] = *nps
		}
		out.Members = append(out.Members, segments.Member{CustomerID: id, Fields: f})
		return nil
	}, q, args...)
	if err != nil {
		return nil, fmt.Errorf("segment %s: %w", s.name, err)
	}
	if len(out.Members) > p.Limit {
		out.Members = out.Members[:p.Limit]
		out.Next = out.Members[p.Limit-1].CustomerID
	}
	return out, nil
}

func (s *segment) hasParam(k string) bool {
	for _, p := range s.ps {
		if p.name == k {
			return true
		}
	}
	return false
}

func safe(k string) string {
	if len(k) > 40 || !utf8.ValidString(k) {
		return "parameter"
	}
	return k
}

func intIn(lo, hi int64) func(string) (any, error) {
	return func(s string) (any, error) {
		n, err := strconv.ParseInt(s, 10, 64)
		if err != nil || n < lo || n > hi {
			return nil, fmt.Errorf("must be an integer between %d and %d", lo, hi)
		}
		return n, nil
	}
}

func oneOf(vals ...string) func(string) (any, error) {
	return func(s string) (any, error) {
		for _, v := range vals {
			if s == v {
				return s, nil
			}
		}
		return nil, fmt.Errorf("must be one of %v", vals)
	}
}

// All returns every segment over the scores tables of st.
func All(st *chstore.Store) []segments.Segment {
	mk := func(name, desc, cond, hist string, ps ...param) segments.Segment {
		s := &segment{st: st, name: name, desc: desc, cond: cond, hist: hist, ps: ps}
		if hist == "" {
			return s
		}
		return historySegment{s}
	}
	return []segments.Segment{
		mk("sleepers", "Formerly active customers silent far longer than their usual rhythm, as of now.", "sleeper_now = 1", "sleeper = 1"),
		mk("churn_risk_high", "Customers whose churn risk is high, with the reasons.", "churn_risk = 'high'", "churn_risk = 'high'"),
		mk("contracts_ending", "Customers whose contract ends soon: parameter `days` (default 30) is the horizon in days.",
			"contract_ends_in_days >= 0 AND contract_ends_in_days <= ?", "", param{name: "days", def: "30", parse: intIn(0, 3650)}),
		mk("promoters", "Customers whose latest NPS answer is 9 or 10.", "nps_latest >= 9", "nps_latest >= 9"),
		mk("detractors", "Customers whose latest NPS answer is 0 to 6.", "nps_latest <= 6", "nps_latest <= 6"),
		mk("advocates", "Customers at the top of the loyalty ladder (they recommend and refer).", "loyalty_stage = 'advocate'", "loyalty_stage = 'advocate'"),
		mk("loyalty", "Customers at a loyalty stage: parameter `stage` is unbound, satisfied, enthusiastic or advocate.", "loyalty_stage = ?", "loyalty_stage = ?",
			param{name: "stage", required: true, parse: oneOf("unbound", "satisfied", "enthusiastic", "advocate")}),
		mk("rfm", "Customers in an RFM segment: parameter `segment` is champions, loyal, potential, at_risk, hibernating or lost.", "rfm_segment = ?", "rfm_segment = ?",
			param{name: "segment", required: true, parse: text}),
		mk("lifecycle", "Customers in a lifecycle state as of now: parameter `state` is new, returning, resurrecting, dormant or churned.", "lifecycle_now = ?", "lifecycle = ?",
			param{name: "state", required: true, parse: oneOf("new", "returning", "resurrecting", "dormant", "churned")}),
		&segment{st: st, name: "unresolved_tickets", desc: "Customers with at least one unresolved service ticket.", cond: "1",
			extra: "customer_id IN (SELECT customer_id FROM %s.customer_profiles FINAL WHERE open_tickets > 0)"},
	}
}

func text(s string) (any, error) {
	if len(s) > 128 || !utf8.ValidString(s) {
		return nil, fmt.Errorf("must be valid UTF-8 of at most 128 bytes")
	}
	return s, nil
}
