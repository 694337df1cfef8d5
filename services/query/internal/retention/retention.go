package retention

import (
	"context"
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"

	"github.com/cemhq/cem/services/query/internal/apierr"
	"github.com/cemhq/cem/services/query/internal/chstore"
)

// MaxPeriods caps the offsets of a matrix.
const MaxPeriods = 60

// Query selects a retention matrix.
type Query struct {
	// Cohort is first_seen (any event) or first_order (Order Completed).
	Cohort string
	// Event is the returning step; empty means any event.
	Event string
	// Grain is day, week or month.
	Grain string
	// Periods is the number of offsets, 1..60 (0 included).
	Periods int
	// FromMs and ToMs bound the cohorts' first event [from, to); 0 = open.
	FromMs, ToMs int64
}

type grain struct{ rel, start string }

var grains = map[string]grain{
	"day":   {"toRelativeDayNum(timestamp, 'UTC')", "toDate(%s, 'UTC')"},
	"week":  {"toRelativeWeekNum(timestamp, 'UTC')", "toMonday(%s, 'UTC')"},
	"month": {"toRelativeMonthNum(timestamp, 'UTC')", "toStartOfMonth(%s, 'UTC')"},
}

var cohorts = map[string]string{"first_seen": "1", "first_order": "event = 'Order Completed'"}

// Validate checks q.
func (q *Query) Validate() error {
	if _, ok := cohorts[q.Cohort]; !ok {
		return apierr.BadParam("cohort", "must be first_seen or first_order")
	}
	if _, ok := grains[q.Grain]; !ok {
		return apierr.BadParam("grain", "must be day, week or month")
	}
	if q.Periods < 1 || q.Periods > MaxPeriods {
		return apierr.BadParam("periods", "must be between 1 and %d", MaxPeriods)
	}
	if len(q.Event) > 256 || !utf8.ValidString(q.Event) {
		return apierr.BadParam("event", "must be valid UTF-8 of at most 256 bytes")
	}
	if q.FromMs < 0 || q.ToMs < 0 || (q.ToMs != 0 && q.ToMs <= q.FromMs) {
		return apierr.BadParam("to", "the range must be non-negative and end after it starts")
	}
	return nil
}

// Cohort is one row of the matrix.
type Cohort struct {
	// Start is the first day of the cohort period, YYYY-MM-DD (UTC).
	Start string `json:"start"`
	Size  uint64 `json:"size"`
	// Retained[k] customers did the returning event k periods after the
	// cohort period; Rates[k] = Retained[k] / Size.
	Retained []uint64  `json:"retained"`
	Rates    []float64 `json:"rates"`
}

// Matrix is a retention matrix.
type Matrix struct {
	Cohort  string   `json:"cohort"`
	Event   string   `json:"event"`
	Grain   string   `json:"grain"`
	Periods int      `json:"periods"`
	Cohorts []Cohort `json:"cohorts"`
}

// Engine computes retention.
type Engine struct{ st *chstore.Store }

// New returns an Engine reading st.
func New(st *chstore.Store) *Engine { return &Engine{st: st} }

// Run computes the matrix of q (validated).
func (e *Engine) Run(ctx context.Context, q Query) (*Matrix, error) {
	g := grains[q.Grain]
	ret, args := "1", []any{}
	if q.Event != "" {
		ret, args = chstore.StepExpr+" = ?", []any{q.Event}
	}
	cols := []string{"timestamp", "ts_ms", "(" + cohorts[q.Cohort] + ") AS is_cohort", "(" + ret + ") AS is_return"}
	src := e.st.CustomerEvents(cols, "", false, chstore.SaneTime)
	var having []string
	if q.FromMs > 0 {
		having, args = append(having, "first_ms >= ?"), append(args, q.FromMs)
	}
	if q.ToMs > 0 {
		having, args = append(having, "first_ms < ?"), append(args, q.ToMs)
	}
	havingSQL := "has_cohort > 0"
	if len(having) > 0 {
		havingSQL += " AND " + strings.Join(having, " AND ")
	}
	// Offset -1 marks every cohort member, so one grouping yields the
	// cohort sizes and the retained counts.
	sql := fmt.Sprintf(`SELECT start, c0, o, count() FROM (
 SELECT customer, start, c0, arrayJoin(arrayPushFront(arrayFilter(x -> x >= 0 AND x < %d, arrayMap(p -> toInt64(p) - c0, ps)), toInt64(-1))) AS o FROM (
  SELECT customer, toInt64(minIf(%s, is_cohort)) AS c0, toString(%s) AS start, groupUniqArrayIf(%s, is_return) AS ps,
   countIf(is_cohort) AS has_cohort, minIf(ts_ms, is_cohort) AS first_ms
  FROM %s GROUP BY customer HAVING %s))
GROUP BY start, c0, o ORDER BY c0, o`, q.Periods, g.rel, fmt.Sprintf(g.start, "minIf(timestamp, is_cohort)"), g.rel, src, havingSQL)
	m := &Matrix{Cohort: q.Cohort, Event: q.Event, Grain: q.Grain, Periods: q.Periods, Cohorts: []Cohort{}}
	err := e.st.Select(ctx, func(rows driver.Rows) error {
		var start string
		var rel, off int64
		var n uint64
		if err := rows.Scan(&start, &rel, &off, &n); err != nil {
			return err
		}
		if k := len(m.Cohorts); k == 0 || m.Cohorts[k-1].Start != start {
			m.Cohorts = append(m.Cohorts, Cohort{Start: start, Retained: make([]uint64, q.Periods), Rates: make([]float64, q.Periods)})
		}
		c := &m.Cohorts[len(m.Cohorts)-1]
		if off < 0 {
			c.Size = n
		} else {
			c.Retained[off] = n
			if c.Size > 0 {
				c.Rates[off] = float64(n) / float64(c.Size)
			}
		}
		return nil
	}, sql, args...)
	if err != nil {
		return nil, fmt.Errorf("retention: %w", err)
	}
	return m, nil
}
