package journey

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"

	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"

	"github.com/cemhq/cem/pkg/eventsql"
	"github.com/cemhq/cem/services/query/internal/apierr"
	"github.com/cemhq/cem/services/query/internal/chstore"
)

// TimelineQuery selects a page of a customer's timeline.
type TimelineQuery struct {
	// FromMs and ToMs bound event time, [FromMs, ToMs) in epoch ms; 0 means
	// unbounded.
	FromMs, ToMs int64
	// Channels keeps only these channels; empty keeps all.
	Channels []string
	// Events keeps only these steps (event names, or "page:Name"); empty
	// keeps all.
	Events []string
	// Limit is the page size in events.
	Limit int
	// Desc returns newest first.
	Desc bool
	// After continues from a previous page.
	After *Cursor
}

// Event is one timeline entry.
type Event struct {
	EventID      string          `json:"event_id"`
	TsMs         int64           `json:"ts_ms"`
	Type         string          `json:"type"`
	Event        string          `json:"event,omitempty"`
	Name         string          `json:"name,omitempty"`
	Source       string          `json:"source"`
	CustomerKey  string          `json:"customer_key"`
	SessionID    string          `json:"session_id"`
	Channel      string          `json:"channel"`
	Touchpoint   string          `json:"touchpoint,omitempty"`
	PagePath     string          `json:"page_path,omitempty"`
	Score        *float64        `json:"score,omitempty"`
	Signal       string          `json:"signal,omitempty"`
	SignalWeight float64         `json:"signal_weight,omitempty"`
	Revenue      float64         `json:"revenue,omitempty"`
	Currency     string          `json:"currency,omitempty"`
	OrderID      string          `json:"order_id,omitempty"`
	TicketID     string          `json:"ticket_id,omitempty"`
	Properties   json.RawMessage `json:"properties,omitempty"`
}

// SessionGroup is a run of consecutive timeline events of one session.
type SessionGroup struct {
	SessionID string   `json:"session_id"`
	StartMs   int64    `json:"start_ms"`
	EndMs     int64    `json:"end_ms"`
	Channels  []string `json:"channels"`
	Events    []Event  `json:"events"`
}

// Timeline is one page of a customer's timeline.
type Timeline struct {
	CustomerID string         `json:"customer_id"`
	IDs        []string       `json:"ids"`
	Sessions   []SessionGroup `json:"sessions"`
	Count      int            `json:"count"`
	NextCursor string         `json:"next_cursor,omitempty"`
}

// Validate checks q against the limits.
func (q *TimelineQuery) Validate(maxLimit int) error {
	if q.Limit <= 0 || q.Limit > maxLimit {
		return apierr.BadParam("limit", "must be between 1 and %d", maxLimit)
	}
	if q.FromMs < 0 || q.ToMs < 0 || (q.ToMs != 0 && q.ToMs <= q.FromMs) {
		return apierr.BadParam("to", "the range must be non-negative and end after it starts")
	}
	if q.After != nil && q.After.Desc != q.Desc {
		return apierr.BadParam("cursor", "was issued for the other order")
	}
	return nil
}

// Timeline returns a page of the events of every id of the canonical
// customer, in event-time order (ties by event id).
func (r *Resolver) Timeline(ctx context.Context, customer string, ids []string, q TimelineQuery) (*Timeline, error) {
	// A primary-key range read per id, one row per event id (the winning
	// copy, so that its time, and with it the page it is on, never
	// changes).
	where := []string{"1"}
	args := []any{chstore.Set(ids)}
	if q.FromMs > 0 {
		where, args = append(where, "ts_ms >= ?"), append(args, q.FromMs)
	}
	if q.ToMs > 0 {
		where, args = append(where, "ts_ms < ?"), append(args, q.ToMs)
	}
	if len(q.Channels) > 0 {
		where, args = append(where, "channel IN ?"), append(args, chstore.Set(q.Channels))
	}
	if len(q.Events) > 0 {
		where, args = append(where, chstore.StepExpr+" IN ?"), append(args, chstore.Set(q.Events))
	}
	order, cmp := "ASC", ">"
	if q.Desc {
		order, cmp = "DESC", "<"
	}
	if q.After != nil {
		where = append(where, fmt.Sprintf("(ts_ms %[1]s ? OR (ts_ms = ? AND event_id %[1]s ?))", cmp))
		args = append(args, q.After.TsMs, q.After.TsMs, q.After.EventID)
	}
	src := eventsql.Source(r.st.DB(), eventsql.Query{Keys: true, Where: strings.Join(where, " AND "), Cols: []string{"event_id", "ts_ms", "type",
		"event", "name", "source", "customer_key", "session_id", "channel", "touchpoint", "page_path", "score", "signal", "signal_weight",
		"revenue", "currency", "order_id", "ticket_id", "properties"}})
	sql := fmt.Sprintf(`SELECT * FROM %s ORDER BY ts_ms %s, event_id %s LIMIT %d`, src, order, order, q.Limit+1)
	var evs []Event
	err := r.st.Select(ctx, func(rows driver.Rows) error {
		var e Event
		var props string
		if err := rows.Scan(&e.EventID, &e.TsMs, &e.Type, &e.Event, &e.Name, &e.Source, &e.CustomerKey, &e.SessionID,
			&e.Channel, &e.Touchpoint, &e.PagePath, &e.Score, &e.Signal, &e.SignalWeight, &e.Revenue, &e.Currency,
			&e.OrderID, &e.TicketID, &props); err != nil {
			return err
		}
		e.Properties = rawJSON(props)
		evs = append(evs, e)
		return nil
	}, sql, args...)
	if err != nil {
		return nil, fmt.Errorf("timeline: %w", err)
	}
	t := &Timeline{CustomerID: customer, IDs: ids, Sessions: []SessionGroup{}}
	if len(evs) > q.Limit {
		evs = evs[:q.Limit]
		last := evs[len(evs)-1]
		t.NextCursor = Cursor{TsMs: last.TsMs, EventID: last.EventID, Desc: q.Desc}.Encode()
	}
	t.Count = len(evs)
	t.Sessions = group(evs)
	return t, nil
}

// group splits events into runs of one session.
func group(evs []Event) []SessionGroup {
	out := []SessionGroup{}
	for _, e := range evs {
		n := len(out)
		if n == 0 || out[n-1].SessionID != e.SessionID {
			out = append(out, SessionGroup{SessionID: e.SessionID, StartMs: e.TsMs, EndMs: e.TsMs})
			n++
		}
		g := &out[n-1]
		g.StartMs, g.EndMs = min(g.StartMs, e.TsMs), max(g.EndMs, e.TsMs)
		if e.Channel != "" && !slices.Contains(g.Channels, e.Channel) {
			g.Channels = append(g.Channels, e.Channel)
		}
		g.Events = append(g.Events, e)
	}
	return out
}

// rawJSON returns s as raw JSON when it is a valid JSON value, else nil.
func rawJSON(s string) json.RawMessage {
	if s == "" || s == "{}" || !json.Valid([]byte(s)) {
		return nil
	}
	return json.RawMessage(s)
}
