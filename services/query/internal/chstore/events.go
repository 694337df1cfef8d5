package chstore

import (
	"fmt"
	"strings"
)

// StepExpr is the SQL expression that names an event as a journey step: the
// track event name, else "<type>:<name>" (e.g. "page:Pricing"), else the type.
const StepExpr = "if(event != '', event, if(name != '', concat(type, ':', name), type))"

// CustomerEvents returns a parenthesised subquery over the events that
// satisfy where (SQL built by the caller from constants
// and "?" placeholders), with the columns cols (constants of the caller, each
// a column of events or an "expr AS alias") plus customer: the canonical
// customer id of the event's customer_key (customer_key is always
// included; cols must not name it), resolved through identities at
// query time (argMax by version), or the key itself when it was never
// linked. That resolution is what stitches anonymous pre-login events to the
// customer retroactively. Bot traffic is excluded.
//
// Duplicates (a replayed event stored twice until ReplacingMergeTree merges)
// are removed when dedup is true, with LIMIT 1 BY event_id after the filter,
// which on 18.16 is several times cheaper than FINAL over a whole table.
// Callers whose result cannot change when an event appears twice (customer
// counts, windowFunnel levels, minimum times, uniq sets) pass false.
func (s *Store) CustomerEvents(cols []string, where string, dedup bool) string {
	if where == "" {
		where = "1"
	}
	inner := append([]string{"customer_key"}, cols...)
	limitBy := ""
	if dedup {
		limitBy = " LIMIT 1 BY event_id"
	}
	outer := []string{"customer_key"}
	for _, c := range cols {
		if i := strings.LastIndex(c, " AS "); i >= 0 {
			c = strings.TrimSpace(c[i+4:])
		}
		outer = append(outer, c)
	}
	return fmt.Sprintf(`(SELECT %s, if(resolved = '', customer_key, resolved) AS customer
FROM (SELECT %s FROM %s.events WHERE is_bot = 0 AND (%s)%s)
ANY LEFT JOIN (SELECT id AS customer_key, argMax(customer_id, version) AS resolved FROM %s.identities GROUP BY id) USING customer_key)`,
		strings.Join(outer, ", "), strings.Join(inner, ", "), s.db, where, limitBy, s.db)
}
