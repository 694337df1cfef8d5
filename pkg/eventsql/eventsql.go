package eventsql

import (
	"fmt"
	"math"
	"regexp"
	"strings"
)

// Table is the events table, relative to the database.
const Table = "events"

// Query selects events.
type Query struct {
	// Cols are the selected columns or "expr AS alias" (constants of the
	// caller). Empty selects event_id.
	Cols []string
	// Keys restricts the read to customer_key IN ? (one query argument:
	// the key set): a primary-key range read per key.
	Keys bool
	// Match filters on columns that every copy of an event shares (see
	// Shared), before the copies collapse: cheap, and the right way to
	// narrow a whole-table read. Source panics when Match names a column
	// that may differ between copies: such a filter would let a losing
	// copy stand in for the winner.
	Match string
	// Range restricts the events to an event-time range, ts_ms in [from,
	// to): four query arguments after Match's, RangeArgs(from, to). The
	// copies of an event differ in ts_ms, so the range is applied after
	// they collapse; before, a range widened by RangeMargin on each side
	// keeps FINAL's merge to the range's rows (a losing copy can stand in
	// for its winner only when their times are more than RangeMargin
	// apart and the range's edge is between them).
	Range bool
	// Where filters the collapsed rows (any column, e.g. is_bot, a paging
	// cursor).
	Where string
	// Copies: the caller's answer is unchanged by extra copies of an
	// event, so Source reads without FINAL (a parallel read; FINAL is a
	// single-threaded merge on ClickHouse 18.16) and every copy of an
	// event is a row. It takes both of these, and only the first can be
	// checked here:
	//
	//   - every copy yields the same row: Cols and Where name only columns
	//     every copy shares (Shared), as Match does, and Range (ts_ms) is
	//     not set; Source panics otherwise. Copies from separate deliveries
	//     differ in their skew-corrected time (timestamp, ts_ms), bot flag,
	//     session and write-time customer_id, so an aggregate of those is
	//     changed by a losing copy (an earlier time, a non-bot copy of a
	//     bot event): such a reader keeps FINAL (funnels and retention do).
	//   - the caller's aggregate gives the same answer when a row is
	//     repeated: min, max, any, argMin of shared values, uniqExact,
	//     groupUniqArray, a flag (countIf(c) > 0), per-key lookups
	//     (ANY JOIN). count(), sum() and groupArray count a copy as an
	//     event: count uniqExact(event_id) instead, or keep FINAL.
	Copies bool
}

// RangeMargin widens Query.Range before the copies collapse (1 day, in
// ms): copies of one event differ in time by the network latency and the
// client's clock changes between its sends.
const RangeMargin = 24 * 3600 * 1000

// RangeArgs are the arguments of Query.Range for [fromMs, toMs); 0 leaves
// a side open.
func RangeArgs(fromMs, toMs int64) []any {
	lo, hi := int64(math.MinInt64), int64(math.MaxInt64)
	if fromMs > 0 {
		lo = fromMs
	}
	if toMs > 0 {
		hi = toMs
	}
	wlo, whi := lo, hi
	if lo > math.MinInt64+RangeMargin {
		wlo = lo - RangeMargin
	}
	if hi < math.MaxInt64-RangeMargin {
		whi = hi + RangeMargin
	}
	return []any{wlo, whi, lo, hi}
}

// Source returns a parenthesised subquery over the events of db: one row
// per event id (the winning copy; with q.Copies, one per copy) with
// q.Cols. Its "?" placeholders are, in order: the key set when q.Keys,
// then those of q.Match, then RangeArgs when q.Range, then those of
// q.Where.
func Source(db string, q Query) string {
	if err := CheckMatch(q.Match); err != nil {
		panic("eventsql: " + err.Error())
	}
	if q.Copies {
		if q.Range {
			panic("eventsql: Copies with Range: the range is on ts_ms, which may differ between copies of an event")
		}
		for _, c := range append([]string{q.Where}, q.Cols...) {
			if err := checkShared(c); err != nil {
				panic("eventsql: Copies reads every copy, so each must yield the same row: " + err.Error())
			}
		}
	}
	cols := "event_id"
	if len(q.Cols) > 0 {
		cols = strings.Join(q.Cols, ", ")
	}
	var pre []string
	if q.Keys {
		pre = append(pre, "customer_key IN ?")
	}
	if q.Match != "" {
		pre = append(pre, "("+q.Match+")")
	}
	var where []string
	if q.Range {
		pre = append(pre, "ts_ms >= ? AND ts_ms < ?")
		where = append(where, "ts_ms >= ? AND ts_ms < ?")
	}
	if q.Where != "" {
		where = append(where, "("+q.Where+")")
	}
	var b strings.Builder
	final := " FINAL"
	if q.Copies {
		final = ""
	}
	fmt.Fprintf(&b, "(SELECT %s FROM %s.%s%s", cols, db, Table, final)
	if len(pre) > 0 {
		b.WriteString(" PREWHERE " + strings.Join(pre, " AND "))
	}
	if len(where) > 0 {
		b.WriteString(" WHERE " + strings.Join(where, " AND "))
	}
	b.WriteString(")")
	return b.String()
}

// varying are the events columns whose value may differ between copies of
// one event id: times of the delivery, the network, what the processor
// derived when it wrote the copy, and the row version.
var varying = map[string]bool{
	"timestamp": true, "ts_ms": true, "original_ts_ms": true, "sent_at_ms": true, "received_at": true, "received_ms": true,
	"ip": true, "user_agent": true, "browser": true, "os": true, "device_type": true, "is_bot": true,
	"session_id": true, "customer_id": true, "context": true, "version": true,
}

// Shared reports whether column has the same value in every copy of an
// event id (the client's payload and what is derived from it alone).
func Shared(column string) bool { return !varying[column] }

var (
	quotedRE = regexp.MustCompile(`'(?:[^'\\]|\\.)*'`)
	identRE  = regexp.MustCompile(`[A-Za-z_][A-Za-z0-9_]*`)
)

// CheckMatch returns an error when cond names a column that may differ
// between copies of an event (string literals are ignored).
func CheckMatch(cond string) error {
	if id := firstVarying(cond); id != "" {
		return fmt.Errorf("match condition %q names %s, which may differ between copies of an event: filter it in Where", cond, id)
	}
	return nil
}

// checkShared returns an error when expr names a column that may differ
// between copies of an event.
func checkShared(expr string) error {
	if id := firstVarying(expr); id != "" {
		return fmt.Errorf("%q names %s, which may differ between copies of an event", expr, id)
	}
	return nil
}

// firstVarying returns the first identifier of expr outside string
// literals that names a column that may differ between copies, or "".
func firstVarying(expr string) string {
	for _, id := range identRE.FindAllString(quotedRE.ReplaceAllString(expr, "''"), -1) {
		if varying[id] {
			return id
		}
	}
	return ""
}
