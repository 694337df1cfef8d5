package experience

import (
	"context"
	"fmt"
	"math"
	"slices"
	"strings"

	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"

	"github.com/cemhq/cem/pkg/eventsql"
	"github.com/cemhq/cem/services/query/internal/apierr"
	"github.com/cemhq/cem/services/query/internal/chstore"
)

type metric struct {
	cond  string // which events count, with the valid score range
	value string // the measure column
}

var metrics = map[string]metric{
	"nps":        {"event = 'NPS Submitted' AND score >= 0 AND score <= 10", "assumeNotNull(score)"},
	"csat":       {"event = 'CSAT Submitted' AND score >= 1 AND score <= 5", "assumeNotNull(score)"},
	"ces":        {"event = 'CES Submitted' AND score >= 1 AND score <= 7", "assumeNotNull(score)"},
	"experience": {"signal != ''", "signal_weight"},
}

var dims = map[string]string{
	"touchpoint": "touchpoint",
	"channel":    "channel",
	"source":     "source",
}

var periods = map[string]string{
	"day":   "toString(toDate(timestamp, 'UTC'))",
	"week":  "toString(toMonday(timestamp, 'UTC'))",
	"month": "toString(toStartOfMonth(timestamp, 'UTC'))",
}

// Query selects a score breakdown.
type Query struct {
	// Metric is nps, csat, ces or experience.
	Metric string
	// By is touchpoint, channel, source or period.
	By string
	// Grain is day, week or month when By is period.
	Grain string
	// FromMs and ToMs bound event time [from, to); 0 = open.
	FromMs, ToMs int64
	// MinN marks groups with fewer answers as insufficient.
	MinN uint64
	// Worst sorts by score ascending (groups with n >= MinN first).
	Worst bool
	// Limit caps the groups returned.
	Limit int
}

// Validate checks q.
func (q *Query) Validate(maxRows int) error {
	if _, ok := metrics[q.Metric]; !ok {
		return apierr.BadParam("metric", "must be nps, csat, ces or experience")
	}
	if _, ok := dims[q.By]; !ok && q.By != "period" {
		return apierr.BadParam("by", "must be touchpoint, channel, source or period")
	}
	if _, ok := periods[q.Grain]; q.By == "period" && !ok {
		return apierr.BadParam("grain", "must be day, week or month")
	}
	if q.FromMs < 0 || q.ToMs < 0 || (q.ToMs != 0 && q.ToMs <= q.FromMs) {
		return apierr.BadParam("to", "the range must be non-negative and end after it starts")
	}
	if q.Limit < 1 || q.Limit > maxRows {
		return apierr.BadParam("limit", "must be between 1 and %d", maxRows)
	}
	return nil
}

// Group is one breakdown value's score.
type Group struct {
	Key string `json:"key"`
	N   uint64 `json:"n"`
	// Score is NPS (-100..100), CSAT (% 0..100), CES mean (1..7) or the
	// mean experience signal (-1..1).
	Score float64 `json:"score"`
	// Sufficient is N >= min_n.
	Sufficient bool `json:"sufficient"`
	// Promoters, Passives, Detractors (nps) or Satisfied (csat) counts.
	Promoters  *uint64 `json:"promoters,omitempty"`
	Passives   *uint64 `json:"passives,omitempty"`
	Detractors *uint64 `json:"detractors,omitempty"`
	Satisfied  *uint64 `json:"satisfied,omitempty"`
}

// Report is a score breakdown.
type Report struct {
	Metric string  `json:"metric"`
	By     string  `json:"by"`
	MinN   uint64  `json:"min_n"`
	Groups []Group `json:"groups"`
}

// Engine computes experience reports.
type Engine struct{ st *chstore.Store }

// New returns an Engine reading st.
func New(st *chstore.Store) *Engine { return &Engine{st: st} }

// Run computes the report of q (validated).
func (e *Engine) Run(ctx context.Context, q Query) (*Report, error) {
	m := metrics[q.Metric]
	key := dims[q.By]
	if q.By == "period" {
		key = periods[q.Grain]
	}
	args := eventsql.RangeArgs(q.FromMs, q.ToMs)
	// One row per event id; the metric's condition (event names, score)
	// narrows the read before the copies collapse.
	sql := fmt.Sprintf(`SELECT k, count() AS n, countIf(v >= 9), countIf(v >= 7 AND v < 9), countIf(v <= 6), countIf(v >= 4), avg(v)
FROM %s GROUP BY k`, eventsql.Source(e.st.DB(), eventsql.Query{Cols: []string{key + " AS k", m.value + " AS v"}, Match: m.cond, Range: true, Where: "is_bot = 0"}))
	rep := &Report{Metric: q.Metric, By: q.By, MinN: q.MinN, Groups: []Group{}}
	err := e.st.Select(ctx, func(rows driver.Rows) error {
		var g Group
		var pro, pas, det, sat uint64
		var mean float64
		if err := rows.Scan(&g.Key, &g.N, &pro, &pas, &det, &sat, &mean); err != nil {
			return err
		}
		g.Sufficient = g.N >= q.MinN
		switch q.Metric {
		case "nps":
			g.Score = 100 * (float64(pro) - float64(det)) / float64(g.N)
			g.Promoters, g.Passives, g.Detractors = &pro, &pas, &det
		case "csat":
			g.Score = 100 * float64(sat) / float64(g.N)
			g.Satisfied = &sat
		default:
			g.Score = mean
		}
		if math.IsNaN(g.Score) || math.IsInf(g.Score, 0) {
			g.Score = 0
		}
		rep.Groups = append(rep.Groups, g)
		return nil
	}, sql, args...)
	if err != nil {
		return nil, fmt.Errorf("experience: %w", err)
	}
	slices.SortFunc(rep.Groups, func(a, b Group) int {
		if q.Worst {
			if a.Sufficient != b.Sufficient {
				if a.Sufficient {
					return -1
				}
				return 1
			}
			if a.Score != b.Score {
				if a.Score < b.Score {
					return -1
				}
				return 1
			}
		}
		return strings.Compare(a.Key, b.Key)
	})
	if len(rep.Groups) > q.Limit {
		rep.Groups = rep.Groups[:q.Limit]
	}
	return rep, nil
}
