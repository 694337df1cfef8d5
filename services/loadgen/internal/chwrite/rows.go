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

// Add appends r (version: eventrows.Version of its receive time).
func (c *Columnar) Add(r *Row) {
	res, err := r.Event.Reserved()
	if err != nil {
		res = events.Reserved{}
	}
	e := r.Event
	sig, ch := eventrows.SignalOf(e, &res), e.Channel()
	row := eventrows.Row{
		Event: e, Reserved: &res, ID: e.Source + ":" + e.MessageID, Key: e.CustomerKey(),
		CustomerID: r.CustomerID, SessionID: r.SessionID, Channel: ch, Touchpoint: eventrows.Touchpoint(e, ch),
		Signal: sig.Name, SignalWeight: sig.Weight, TsMs: e.Timestamp.UnixMilli(),
	}
	if e.Context.Campaign != nil {
		row.Campaign = e.Context.Campaign.Name
	}
	c.Columnar.Add(&row)
}
