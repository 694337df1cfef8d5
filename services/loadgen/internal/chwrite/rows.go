package chwrite

import (
	"github.com/cemhq/cem/pkg/eventrows"
	"github.com/cemhq/cem/pkg/events"
)

// Row is one event with what the processor adds: canonical customer and
// session.
type Row struct {
	Event      *events.Event
	CustomerID string
	SessionID  string
}

// Columns returns the events columns in insert order.
func Columns() []string { return eventrows.Columns() }

// Columnar holds rows as columns, ready for a batch insert: the processor's
// row layout (eventrows), filled with this package's derivations.
type Columnar struct{ *eventrows.Columnar }

// NewColumnar returns an empty Columnar with room for n rows.
func NewColumnar(n int) *Columnar { return &Columnar{eventrows.NewColumnar(n)} }

// Add appends r with the given version.
func (c *Columnar) Add(r *Row, version uint64) {
	res, err := r.Event.Reserved()
	if err != nil {
		res = events.Reserved{}
	}
	e := r.Event
	sig, w := Signal(e, &res)
	row := eventrows.Row{
		Event: e, Reserved: &res, ID: e.Source + ":" + e.MessageID, Key: e.CustomerKey(),
		CustomerID: r.CustomerID, SessionID: r.SessionID, Channel: e.Channel(), Touchpoint: Touchpoint(e),
		Signal: sig, SignalWeight: w, TsMs: e.Timestamp.UnixMilli(),
	}
	if e.Context.Campaign != nil {
		row.Campaign = e.Context.Campaign.Name
	}
	c.Columnar.Add(&row, version)
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
