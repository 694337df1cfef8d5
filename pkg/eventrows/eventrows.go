// Package eventrows maps events to rows of the ClickHouse events table
// (schemas/clickhouse/0001_events.sql) as columns for a batch insert. The
// processor writes every event through it, and the load generator builds
// its benchmark datasets and baselines with the same code, so both always
// write the same row layout.
package eventrows

import (
	"encoding/json"
	"time"

	"github.com/cemhq/cem/pkg/events"
)

// Row is one event with what the processor adds to it.
type Row struct {
	Event    *events.Event
	Reserved *events.Reserved
	// ID is the idempotency key, source + ":" + messageId (events.EventID).
	ID string
	// Key is the customer key (Event.CustomerKey()).
	Key string
	// CustomerID is the canonical customer at write time; SessionID the
	// session the event belongs to.
	CustomerID, SessionID string
	// Channel, Touchpoint and Campaign as the processor derives them.
	Channel, Touchpoint, Campaign string
	// Signal and SignalWeight are the experience signal ("" and 0: none).
	Signal       string
	SignalWeight float64
	// TsMs is the event time in epoch milliseconds.
	TsMs int64
}

// strCols are the String columns and how each is read from a row, in insert
// order.
var strCols = []struct {
	name string
	get  func(*Row) string
}{
	{"event_id", func(r *Row) string { return r.ID }},
	{"message_id", func(r *Row) string { return r.Event.MessageID }},
	{"source", func(r *Row) string { return r.Event.Source }},
	{"type", func(r *Row) string { return string(r.Event.Type) }},
	{"event", func(r *Row) string { return r.Event.Event }},
	{"name", func(r *Row) string { return r.Event.DisplayName() }},
	{"customer_key", func(r *Row) string { return r.Key }},
	{"customer_id", func(r *Row) string { return r.CustomerID }},
	{"anonymous_id", func(r *Row) string { return r.Event.AnonymousID }},
	{"user_id", func(r *Row) string { return r.Event.UserID }},
	{"group_id", func(r *Row) string { return r.Event.GroupID }},
	{"previous_id", func(r *Row) string { return r.Event.PreviousID }},
	{"session_id", func(r *Row) string { return r.SessionID }},
	{"channel", func(r *Row) string { return r.Channel }},
	{"touchpoint", func(r *Row) string { return r.Touchpoint }},
	{"ip", func(r *Row) string {
		if r.Event.Enrichment.IP != "" {
			return r.Event.Enrichment.IP
		}
		return r.Event.Context.IP
	}},
	{"user_agent", func(r *Row) string { return r.Event.Context.UserAgent }},
	{"browser", func(r *Row) string { return r.Event.Enrichment.Browser }},
	{"os", func(r *Row) string { return r.Event.Enrichment.OS }},
	{"device_type", func(r *Row) string { return r.Event.Enrichment.DeviceType }},
	{"page_path", func(r *Row) string { return page(r, func(p *events.PageContext) string { return p.Path }) }},
	{"page_url", func(r *Row) string { return page(r, func(p *events.PageContext) string { return p.URL }) }},
	{"referrer", func(r *Row) string { return page(r, func(p *events.PageContext) string { return p.Referrer }) }},
	{"campaign_name", func(r *Row) string { return r.Campaign }},
	{"campaign_source", func(r *Row) string { return campaign(r, func(c *events.Campaign) string { return c.Source }) }},
	{"campaign_medium", func(r *Row) string { return campaign(r, func(c *events.Campaign) string { return c.Medium }) }},
	{"properties", func(r *Row) string { return rawText(r.Event.Properties) }},
	{"traits", func(r *Row) string { return rawText(r.Event.Traits) }},
	{"context", func(r *Row) string {
		b, err := events.AppendContext(nil, &r.Event.Context)
		if err != nil {
			return "{}"
		}
		return string(b)
	}},
	{"currency", func(r *Row) string { return r.Reserved.Currency }},
	{"order_id", func(r *Row) string { return r.Reserved.OrderID }},
	{"ticket_id", func(r *Row) string { return r.Reserved.TicketID }},
	{"ticket_channel", func(r *Row) string { return r.Reserved.TicketChannel }},
	{"contract_id", func(r *Row) string { return r.Reserved.ContractID }},
	{"signal", func(r *Row) string { return r.Signal }},
}

// otherCols are the remaining columns, in insert order after strCols.
var otherCols = []string{"timestamp", "ts_ms", "original_ts_ms", "sent_at_ms", "received_at", "received_ms",
	"is_bot", "score", "revenue", "contract_end_ms", "signal_weight", "version"}

// Columns returns the events columns in insert order (the order of
// Columnar.Data).
func Columns() []string {
	out := make([]string, 0, len(strCols)+len(otherCols))
	for _, c := range strCols {
		out = append(out, c.name)
	}
	return append(out, otherCols...)
}

// Columnar holds rows as columns, typed as clickhouse-go's columnar batch
// appends expect.
type Columnar struct {
	str                                         [][]string
	stamp, received                             []time.Time
	tsMs, origMs, sentMs, recvMs, contractEndMs []int64
	isBot                                       []uint8
	score                                       []*float64
	revenue, weight                             []float64
	version                                     []uint64
}

// NewColumnar returns an empty Columnar with room for n rows.
func NewColumnar(n int) *Columnar {
	c := &Columnar{
		str:   make([][]string, len(strCols)),
		stamp: make([]time.Time, 0, n), received: make([]time.Time, 0, n),
		tsMs: make([]int64, 0, n), origMs: make([]int64, 0, n), sentMs: make([]int64, 0, n),
		recvMs: make([]int64, 0, n), contractEndMs: make([]int64, 0, n),
		isBot: make([]uint8, 0, n), score: make([]*float64, 0, n),
		revenue: make([]float64, 0, n), weight: make([]float64, 0, n), version: make([]uint64, 0, n),
	}
	for i := range c.str {
		c.str[i] = make([]string, 0, n)
	}
	return c
}

// Len is the number of rows.
func (c *Columnar) Len() int { return len(c.tsMs) }

// Version is the events row version of a copy received at receivedAt:
// bitNot(received ms), so that ReplacingMergeTree (the higher version
// wins) keeps the FIRST received copy of an event id, whatever the order
// in which copies are written; replays of one Kafka record share it and
// the last written wins. Migration 0030 and docs/operations.md ("Event
// identity") state the same rule.
func Version(receivedAt time.Time) uint64 { return ^uint64(ms(receivedAt)) }

// Add appends r; its version is Version(r.Event.ReceivedAt).
func (c *Columnar) Add(r *Row) {
	for i, col := range strCols {
		c.str[i] = append(c.str[i], col.get(r))
	}
	e := r.Event
	c.stamp = append(c.stamp, Secs(e.Timestamp))
	c.tsMs = append(c.tsMs, r.TsMs)
	c.origMs = append(c.origMs, ms(e.OriginalTimestamp))
	c.sentMs = append(c.sentMs, ms(e.SentAt))
	c.received = append(c.received, Secs(e.ReceivedAt))
	c.recvMs = append(c.recvMs, ms(e.ReceivedAt))
	var bot uint8
	if e.Enrichment.Bot {
		bot = 1
	}
	c.isBot = append(c.isBot, bot)
	c.score = append(c.score, r.Reserved.Score)
	c.revenue = append(c.revenue, r.Reserved.Revenue)
	c.contractEndMs = append(c.contractEndMs, ms(r.Reserved.ContractEnd))
	c.weight = append(c.weight, r.SignalWeight)
	c.version = append(c.version, Version(e.ReceivedAt))
}

// Truncate keeps the first n rows (all when n >= Len).
func (c *Columnar) Truncate(n int) {
	if n >= c.Len() {
		return
	}
	for i := range c.str {
		c.str[i] = c.str[i][:n]
	}
	c.stamp, c.received = c.stamp[:n], c.received[:n]
	c.tsMs, c.origMs, c.sentMs, c.recvMs, c.contractEndMs = c.tsMs[:n], c.origMs[:n], c.sentMs[:n], c.recvMs[:n], c.contractEndMs[:n]
	c.isBot, c.score, c.revenue, c.weight, c.version = c.isBot[:n], c.score[:n], c.revenue[:n], c.weight[:n], c.version[:n]
}

// Data returns the columns in Columns() order.
func (c *Columnar) Data() []any {
	out := make([]any, 0, len(strCols)+len(otherCols))
	for _, s := range c.str {
		out = append(out, s)
	}
	return append(out, c.stamp, c.tsMs, c.origMs, c.sentMs, c.received, c.recvMs, c.isBot, c.score, c.revenue,
		c.contractEndMs, c.weight, c.version)
}

func page(r *Row, f func(*events.PageContext) string) string {
	if r.Event.Context.Page == nil {
		return ""
	}
	return f(r.Event.Context.Page)
}

func campaign(r *Row, f func(*events.Campaign) string) string {
	if r.Event.Context.Campaign == nil {
		return ""
	}
	return f(r.Event.Context.Campaign)
}

func rawText(b json.RawMessage) string {
	if len(b) == 0 {
		return "{}"
	}
	return string(b)
}

func ms(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixMilli()
}

// Secs returns t as a DateTime value: truncated to the second in UTC, the
// zero time mapped to the Unix epoch (the smallest DateTime).
func Secs(t time.Time) time.Time {
	if t.IsZero() {
		return time.Unix(0, 0).UTC()
	}
	return t.UTC().Truncate(time.Second)
}
