package chwrite

import (
	"encoding/json"
	"time"

	"github.com/cemhq/cem/pkg/events"
)

// Row is one event with what the processor adds: canonical customer and
// session.
type Row struct {
	Event      *events.Event
	CustomerID string
	SessionID  string
}

// strCols are the String columns, in insert order.
var strCols = []struct {
	name string
	get  func(r *Row, res *events.Reserved) string
}{
	{"event_id", func(r *Row, _ *events.Reserved) string { return r.Event.Source + ":" + r.Event.MessageID }},
	{"message_id", func(r *Row, _ *events.Reserved) string { return r.Event.MessageID }},
	{"source", func(r *Row, _ *events.Reserved) string { return r.Event.Source }},
	{"type", func(r *Row, _ *events.Reserved) string { return string(r.Event.Type) }},
	{"event", func(r *Row, _ *events.Reserved) string { return r.Event.Event }},
	{"name", func(r *Row, _ *events.Reserved) string { return r.Event.DisplayName() }},
	{"customer_key", func(r *Row, _ *events.Reserved) string { return r.Event.CustomerKey() }},
	{"customer_id", func(r *Row, _ *events.Reserved) string { return r.CustomerID }},
	{"anonymous_id", func(r *Row, _ *events.Reserved) string { return r.Event.AnonymousID }},
	{"user_id", func(r *Row, _ *events.Reserved) string { return r.Event.UserID }},
	{"group_id", func(r *Row, _ *events.Reserved) string { return r.Event.GroupID }},
	{"previous_id", func(r *Row, _ *events.Reserved) string { return r.Event.PreviousID }},
	{"session_id", func(r *Row, _ *events.Reserved) string { return r.SessionID }},
	{"channel", func(r *Row, _ *events.Reserved) string { return r.Event.Channel() }},
	{"touchpoint", func(r *Row, _ *events.Reserved) string { return Touchpoint(r.Event) }},
	{"ip", func(r *Row, _ *events.Reserved) string {
		if r.Event.Enrichment.IP != "" {
			return r.Event.Enrichment.IP
		}
		return r.Event.Context.IP
	}},
	{"user_agent", func(r *Row, _ *events.Reserved) string { return r.Event.Context.UserAgent }},
	{"browser", func(r *Row, _ *events.Reserved) string { return r.Event.Enrichment.Browser }},
	{"os", func(r *Row, _ *events.Reserved) string { return r.Event.Enrichment.OS }},
	{"device_type", func(r *Row, _ *events.Reserved) string { return r.Event.Enrichment.DeviceType }},
	{"page_path", func(r *Row, _ *events.Reserved) string {
		return pageField(r.Event, func(p *events.PageContext) string { return p.Path })
	}},
	{"page_url", func(r *Row, _ *events.Reserved) string {
		return pageField(r.Event, func(p *events.PageContext) string { return p.URL })
	}},
	{"referrer", func(r *Row, _ *events.Reserved) string {
		return pageField(r.Event, func(p *events.PageContext) string { return p.Referrer })
	}},
	{"campaign_name", func(r *Row, _ *events.Reserved) string {
		return campField(r.Event, func(c *events.Campaign) string { return c.Name })
	}},
	{"campaign_source", func(r *Row, _ *events.Reserved) string {
		return campField(r.Event, func(c *events.Campaign) string { return c.Source })
	}},
	{"campaign_medium", func(r *Row, _ *events.Reserved) string {
		return campField(r.Event, func(c *events.Campaign) string { return c.Medium })
	}},
	{"properties", func(r *Row, _ *events.Reserved) string { return rawText(r.Event.Properties) }},
	{"traits", func(r *Row, _ *events.Reserved) string { return rawText(r.Event.Traits) }},
	{"context", func(r *Row, _ *events.Reserved) string {
		b, err := json.Marshal(&r.Event.Context)
		if err != nil {
			return "{}"
		}
		return string(b)
	}},
	{"currency", func(_ *Row, res *events.Reserved) string { return res.Currency }},
	{"order_id", func(_ *Row, res *events.Reserved) string { return res.OrderID }},
	{"ticket_id", func(_ *Row, res *events.Reserved) string { return res.TicketID }},
	{"ticket_channel", func(_ *Row, res *events.Reserved) string { return res.TicketChannel }},
	{"contract_id", func(_ *Row, res *events.Reserved) string { return res.ContractID }},
	{"signal", func(r *Row, res *events.Reserved) string { s, _ := Signal(r.Event, res); return s }},
}

// otherCols are the remaining columns, in insert order after strCols.
var otherCols = []string{"timestamp", "ts_ms", "original_ts_ms", "sent_at_ms", "received_at", "received_ms",
	"is_bot", "score", "revenue", "contract_end_ms", "signal_weight", "version"}

// Columns returns the events columns in insert order.
func Columns() []string {
	out := make([]string, 0, len(strCols)+len(otherCols))
	for _, c := range strCols {
		out = append(out, c.name)
	}
	return append(out, otherCols...)
}

// Touchpoint is channel + ":" + the event's display name (or its type).
func Touchpoint(e *events.Event) string {
	n := e.DisplayName()
	if n == "" {
		n = string(e.Type)
	}
	return e.Channel() + ":" + n
}

// Signal is a simplified experience signal: surveys, negative events and
// rewards with a weight (the processor's rules are richer; this only has
// to give query benchmarks realistic values).
func Signal(e *events.Event, res *events.Reserved) (string, float64) {
	switch e.Event {
	case events.NPSSubmitted, events.CSATSubmitted, events.CESSubmitted, events.FeedbackGiven:
		return "survey", 1
	case events.ErrorShown, events.PaymentFailed, events.ComplaintFiled:
		return "negative", -1
	case events.RewardGranted, events.ReferralConverted:
		return "positive", 1
	case events.TicketOpened:
		return "ticket", -0.2
	}
	return "", 0
}

func pageField(e *events.Event, f func(*events.PageContext) string) string {
	if e.Context.Page == nil {
		return ""
	}
	return f(e.Context.Page)
}

func campField(e *events.Event, f func(*events.Campaign) string) string {
	if e.Context.Campaign == nil {
		return ""
	}
	return f(e.Context.Campaign)
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

func secs(t time.Time) time.Time {
	if t.IsZero() {
		return time.Unix(0, 0).UTC()
	}
	return t.UTC().Truncate(time.Second)
}

// Columnar holds rows as columns, ready for a batch insert.
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
	c := &Columnar{str: make([][]string, len(strCols))}
	for i := range c.str {
		c.str[i] = make([]string, 0, n)
	}
	return c
}

// Len is the number of rows.
func (c *Columnar) Len() int { return len(c.tsMs) }

// Add appends r with the given version.
func (c *Columnar) Add(r *Row, version uint64) {
	res, err := r.Event.Reserved()
	if err != nil {
		res = events.Reserved{}
	}
	for i, col := range strCols {
		c.str[i] = append(c.str[i], col.get(r, &res))
	}
	e := r.Event
	c.stamp = append(c.stamp, secs(e.Timestamp))
	c.tsMs = append(c.tsMs, e.Timestamp.UnixMilli())
	c.origMs = append(c.origMs, ms(e.OriginalTimestamp))
	c.sentMs = append(c.sentMs, ms(e.SentAt))
	c.received = append(c.received, secs(e.ReceivedAt))
	c.recvMs = append(c.recvMs, ms(e.ReceivedAt))
	var bot uint8
	if e.Enrichment.Bot {
		bot = 1
	}
	c.isBot = append(c.isBot, bot)
	c.score = append(c.score, res.Score)
	c.revenue = append(c.revenue, res.Revenue)
	c.contractEndMs = append(c.contractEndMs, ms(res.ContractEnd))
	_, w := Signal(e, &res)
	c.weight = append(c.weight, w)
	c.version = append(c.version, version)
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
