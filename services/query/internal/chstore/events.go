package chstore

import (
	"fmt"
	"strings"

	"github.com/cemhq/cem/pkg/eventsql"
)

// StepExpr is the SQL expression that names an event as a journey step: the
// track event name, else "<type>:<name>" (e.g. "page:Pricing"), else the type.
const StepExpr = "if(event != '', event, if(name != '', concat(type, ':', name), type))"

// SaneTime is the SQL condition on events whose time is plausible: from
// 2000-01-01 to a day after now. A device clock reset to 1900 or set to
// 9999 (the collector clamps those since CEM_EVENT_MAX_PAST/FUTURE, older
// rows may have them) must not become a customer's first or last seen, nor
// a retention cohort.
const SaneTime = "ts_ms >= 946684800000 AND ts_ms < (toInt64(toUInt32(now())) + 86400) * 1000"

// CustomerEvents returns a parenthesised subquery over the events, one row
// per event id (eventsql.Source: the winning copy), with the columns cols
// (constants of the caller, each a column of events or an "expr AS alias")
// plus customer: the canonical customer id of the event's customer_key
// (customer_key is always included; cols must not name it), resolved
// through identities at query time (argMax by version), or the key itself
// when it was never linked. That resolution is what stitches anonymous
// pre-login events to the customer retroactively. Bot traffic is excluded.
// It reads with FINAL (not eventsql.Query.Copies): its callers take the
// event's time and the bot flag is filtered, and both may differ between
// copies of an event; the customer comes from customer_key, which every
// copy shares, never from the stored customer_id, which may not.
//
// match filters on columns every copy of an event shares (event names,
// properties; eventsql.Query.Match), before the copies collapse, and keeps
// the read small; rng restricts to an event-time range (eventsql.Query.Range)
// and where filters the collapsed rows. Placeholders: those of cols, then
// match, then eventsql.RangeArgs when rng, then where.
func (s *Store) CustomerEvents(cols []string, match string, rng bool, where string) string {
	cond := "is_bot = 0"
	if where != "" {
		cond += " AND (" + where + ")"
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
FROM %s AS e
ANY LEFT JOIN (SELECT id AS customer_key, argMax(customer_id, version) AS resolved FROM %s.identities GROUP BY id) AS r USING customer_key)`,
		strings.Join(outer, ", "), eventsql.Source(s.db, eventsql.Query{Cols: inner, Match: match, Range: rng, Where: cond}), s.db)
}
