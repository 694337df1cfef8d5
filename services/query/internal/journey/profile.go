package journey

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"

	"github.com/cemhq/cem/pkg/customer"
	"github.com/cemhq/cem/pkg/events"
	"github.com/cemhq/cem/pkg/eventsql"
	"github.com/cemhq/cem/pkg/money"
	"github.com/cemhq/cem/services/query/internal/chstore"
)

// Profile is the customer 360 view computed from events at query time:
// the common fields (customer.Profile) and what the query service adds.
type Profile struct {
	customer.Profile
	// Traits are the latest value of every identify trait.
	Traits       map[string]any         `json:"traits"`
	Channels     []string               `json:"channels"`
	Sources      []string               `json:"sources"`
	LatestScores map[string]LatestScore `json:"latest_scores"`
	OpenTickets  []string               `json:"open_tickets"`
	// Extensions holds what registered Enrichers add (e.g. health score,
	// churn risk and their reasons), keyed by enricher name.
	Extensions map[string]any `json:"extensions,omitempty"`
}

// LatestScore is a customer's most recent survey answer of one kind.
type LatestScore struct {
	Score float64 `json:"score"`
	TsMs  int64   `json:"ts_ms"`
}

// Enricher adds derived data (scores, segments) to a profile. Enrich
// returns nil, nil when it has nothing for the customer. It must be safe
// for concurrent use.
type Enricher interface {
	Name() string
	Enrich(ctx context.Context, customer string, ids []string) (any, error)
}

// maxTraitEvents bounds the identify events merged into traits.
const maxTraitEvents = 1000

// Profile builds the 360 profile of a canonical customer with ids.
func (r *Resolver) Profile(ctx context.Context, cust string, ids []string, enrichers []Enricher) (*Profile, error) {
	p := &Profile{Profile: customer.Profile{CustomerID: cust, IDs: ids}, Traits: map[string]any{}, LatestScores: map[string]LatestScore{}, OpenTickets: []string{}}
	set := chstore.Set(ids)
	// Lists sorted and money summed in integer units: identical calls give
	// identical answers. Revenue beyond events.MaxAmount (stored before the
	// schemas bounded it) is left out of the sum; the comparison also drops
	// NaN and ±Inf. The bound is also inside the conversion: current
	// ClickHouse converts the argument of sumIf for every row, the ones the
	// condition drops too, and refuses NaN or Inf to Int64 (18.16 did not).
	// First and last seen count only plausible times (chstore.SaneTime).
	bounded := fmt.Sprintf("if(abs(revenue) <= %g, revenue, 0)", events.MaxAmount)
	q := fmt.Sprintf(`SELECT minIf(ts_ms, %[1]s), maxIf(ts_ms, %[1]s), count(), uniqExact(session_id), arraySort(groupUniqArray(channel)),
 arraySort(groupUniqArray(source)), countIf(event = 'Order Completed'), sumIf(%[2]s, event = 'Order Completed' AND abs(revenue) <= %[3]g)
FROM %[4]s`, chstore.SaneTime, money.SQLUnits(bounded), events.MaxAmount, r.events("ts_ms, session_id, channel, source, event, revenue", ""))
	var revenue int64
	if err := r.st.Row(ctx, q, []any{set}, &p.FirstSeenMs, &p.LastSeenMs, &p.Events, &p.Sessions, &p.Channels, &p.Sources, &p.Orders, &revenue); err != nil {
		return nil, fmt.Errorf("profile summary: %w", err)
	}
	p.Revenue = money.Amount(revenue)
	q = fmt.Sprintf(`SELECT traits FROM %s ORDER BY ts_ms DESC, event_id DESC LIMIT %d`,
		r.events("traits, ts_ms", PersonTraits), maxTraitEvents)
	var traits []string
	if err := r.st.Select(ctx, func(rows driver.Rows) error {
		var s string
		if err := rows.Scan(&s); err != nil {
			return err
		}
		traits = append(traits, s)
		return nil
	}, q, set); err != nil {
		return nil, fmt.Errorf("profile traits: %w", err)
	}
	for i := len(traits) - 1; i >= 0; i-- { // oldest first: newer values win
		var m map[string]any
		if json.Unmarshal([]byte(traits[i]), &m) == nil {
			for k, v := range m {
				p.Traits[k] = v
			}
		}
	}
	q = fmt.Sprintf(`SELECT event, argMax(assumeNotNull(score), ts_ms), max(ts_ms) FROM %s GROUP BY event`,
		r.events("event, score, ts_ms", "event IN ('NPS Submitted', 'CSAT Submitted', 'CES Submitted') AND isNotNull(score)"))
	if err := r.st.Select(ctx, func(rows driver.Rows) error {
		var ev string
		var s LatestScore
		if err := rows.Scan(&ev, &s.Score, &s.TsMs); err != nil {
			return err
		}
		p.LatestScores[scoreKind(ev)] = s
		return nil
	}, q, set); err != nil {
		return nil, fmt.Errorf("profile scores: %w", err)
	}
	q = fmt.Sprintf(`SELECT ticket_id FROM %s
GROUP BY ticket_id HAVING countIf(event = 'Ticket Resolved') = 0 ORDER BY ticket_id LIMIT 1000`,
		r.events("ticket_id, event", "ticket_id != '' AND event IN ('Ticket Opened', 'Ticket Resolved')"))
	if err := r.st.Select(ctx, func(rows driver.Rows) error {
		var id string
		if err := rows.Scan(&id); err != nil {
			return err
		}
		p.OpenTickets = append(p.OpenTickets, id)
		return nil
	}, q, set); err != nil {
		return nil, fmt.Errorf("profile tickets: %w", err)
	}
	for _, e := range enrichers {
		v, err := e.Enrich(ctx, cust, ids)
		if err != nil {
			return nil, fmt.Errorf("profile %s: %w", e.Name(), err)
		}
		if v != nil {
			if p.Extensions == nil {
				p.Extensions = map[string]any{}
			}
			p.Extensions[e.Name()] = v
		}
	}
	return p, nil
}

func scoreKind(event string) string {
	switch event {
	case "NPS Submitted":
		return "nps"
	case "CSAT Submitted":
		return "csat"
	default:
		return "ces"
	}
}

// events returns a subquery over the customer's events (customer_key IN ?,
// one argument: the id set) with cols (constants), filtered by cond (on
// columns every copy of an event shares), one row per event id
// (eventsql.Source).
func (r *Resolver) events(cols, cond string) string {
	return eventsql.Source(r.st.DB(), eventsql.Query{Cols: []string{"event_id", cols}, Keys: true, Match: cond})
}
