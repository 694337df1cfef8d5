package querybench

import (
	"fmt"
	"strings"
)

// stepExpr is chstore.StepExpr.
const stepExpr = "if(event != '', event, if(name != '', concat(type, ':', name), type))"

// quote returns s as a ClickHouse string literal.
func quote(s string) string {
	r := strings.NewReplacer(`\`, `\\`, `'`, `\'`)
	return "'" + r.Replace(s) + "'"
}

func set(vals []string) string {
	q := make([]string, len(vals))
	for i, v := range vals {
		q[i] = quote(v)
	}
	return "(" + strings.Join(q, ", ") + ")"
}

// customerEvents is chstore.Store.CustomerEvents.
func customerEvents(db string, cols []string, where string) string {
	if where == "" {
		where = "1"
	}
	inner := append([]string{"customer_key"}, cols...)
	outer := []string{"customer_key"}
	for _, c := range cols {
		if i := strings.LastIndex(c, " AS "); i >= 0 {
			c = strings.TrimSpace(c[i+4:])
		}
		outer = append(outer, c)
	}
	return fmt.Sprintf(`(SELECT %s, if(resolved = '', customer_key, resolved) AS customer
FROM (SELECT %s FROM %s.events FINAL WHERE is_bot = 0 AND (%s))
ANY LEFT JOIN (SELECT id AS customer_key, argMax(customer_id, version) AS resolved FROM %s.identities GROUP BY id) USING customer_key)`,
		strings.Join(outer, ", "), strings.Join(inner, ", "), db, where, db)
}

// CanonicalSQL is journey.Resolver.Canonical's first query.
func CanonicalSQL(db, id string) string {
	return fmt.Sprintf("SELECT argMax(customer_id, version), count() FROM %s.identities WHERE id = %s", db, quote(id))
}

// IDsSQL is journey.Resolver.IDs.
func IDsSQL(db, customer string) string {
	c := quote(customer)
	return fmt.Sprintf(`SELECT id FROM %[1]s.customer_ids FINAL WHERE customer_id = %[2]s AND deleted = 0
UNION ALL SELECT id FROM (SELECT id, argMax(customer_id, version) AS c FROM %[1]s.identities WHERE customer_id = %[2]s GROUP BY id) WHERE c = %[2]s`, db, c)
}

// TimelineSQL is journey.Resolver.Timeline's first page (100 events).
func TimelineSQL(db string, ids []string) string {
	return fmt.Sprintf(`SELECT event_id, ts_ms, type, event, name, source, customer_key, session_id, channel, touchpoint,
 page_path, score, signal, signal_weight, revenue, currency, order_id, ticket_id, properties
FROM %s.events FINAL WHERE customer_key IN %s ORDER BY ts_ms ASC, event_id ASC LIMIT 101`, db, set(ids))
}

// FunnelSQL is funnel.Engine.Run of a non-strict funnel without breakdown
// over steps with a window in seconds.
func FunnelSQL(db string, steps []string, window int) string {
	n := len(steps)
	cols := make([]string, 0, n+3)
	conds := make([]string, n)
	arrs := make([]string, n)
	for i, s := range steps {
		cols = append(cols, fmt.Sprintf("(%s = %s) AS c%d", stepExpr, quote(s), i+1))
		conds[i] = fmt.Sprintf("c%d", i+1)
		arrs[i] = fmt.Sprintf("arraySort(groupArrayIf(ts_ms, c%d)) AS a%d", i+1, i+1)
	}
	cols = append(cols, "timestamp", "ts_ms", "'' AS bd")
	src := customerEvents(db, cols, stepExpr+" IN "+set(steps))
	level := fmt.Sprintf("windowFunnel(%d)(timestamp, %s)", window, strings.Join(conds, ", "))
	inner := fmt.Sprintf("SELECT customer, %s AS level, argMinIf(bd, ts_ms, c1) AS bd, %s FROM %s GROUP BY customer",
		level, strings.Join(arrs, ", "), src)
	ts := []string{"customer", "level", "bd", "arrayReduce('min', a1) AS t1"}
	for i := 2; i <= n; i++ {
		ts = append(ts, fmt.Sprintf("if(t%d = 0, 0, arrayFirst(x -> x > t%d, a%d)) AS t%d", i-1, i-1, i, i))
	}
	pc := fmt.Sprintf("SELECT %s FROM (%s) WHERE level >= 1", strings.Join(ts, ", "), inner)
	aggs := make([]string, 0, 2*n)
	for k := 1; k <= n; k++ {
		aggs = append(aggs, fmt.Sprintf("countIf(level >= %d)", k))
	}
	for k := 2; k <= n; k++ {
		aggs = append(aggs, fmt.Sprintf("quantileExactIf(0.5)((t%d - t%d) / 1000, level >= %d AND t%d > 0)", k, k-1, k, k))
	}
	return fmt.Sprintf("SELECT '', %s FROM (%s)", strings.Join(aggs, ", "), pc)
}

// RetentionSQL is retention.Engine.Run for cohort first_seen, a returning
// event, weekly grain and the given periods.
func RetentionSQL(db, event string, periods int) string {
	rel, start := "toRelativeWeekNum(timestamp, 'UTC')", "toMonday(%s, 'UTC')"
	cols := []string{"timestamp", "ts_ms", "(1) AS is_cohort", fmt.Sprintf("(%s = %s) AS is_return", stepExpr, quote(event))}
	src := customerEvents(db, cols, "")
	return fmt.Sprintf(`SELECT start, c0, o, count() FROM (
 SELECT customer, start, c0, arrayJoin(arrayPushFront(arrayFilter(x -> x >= 0 AND x < %d, arrayMap(p -> toInt64(p) - c0, ps)), toInt64(-1))) AS o FROM (
  SELECT customer, toInt64(minIf(%s, is_cohort)) AS c0, toString(%s) AS start, groupUniqArrayIf(%s, is_return) AS ps,
   countIf(is_cohort) AS has_cohort, minIf(ts_ms, is_cohort) AS first_ms
  FROM %s GROUP BY customer HAVING has_cohort > 0))
GROUP BY start, c0, o ORDER BY c0, o`, periods, rel, fmt.Sprintf(start, "minIf(timestamp, is_cohort)"), rel, src)
}

// SegmentSQL lists sleepers as of nowMs: customers with at least 5 events
// whose silence exceeds three times their mean gap and 30 days, oldest
// first, one page of 1000.
func SegmentSQL(db string, nowMs int64) string {
	src := customerEvents(db, []string{"ts_ms"}, "")
	return fmt.Sprintf(`SELECT customer, last_ms, n, rhythm_ms FROM (
 SELECT customer, max(ts_ms) AS last_ms, count() AS n, (max(ts_ms) - min(ts_ms)) / greatest(count() - 1, 1) AS rhythm_ms
 FROM %s GROUP BY customer)
WHERE n >= 5 AND %d - last_ms > greatest(3 * rhythm_ms, toFloat64(30 * 86400000))
ORDER BY last_ms, customer LIMIT 1000`, src, nowMs)
}
