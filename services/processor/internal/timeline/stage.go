package timeline

import (
	"context"

	"github.com/cemhq/cem/pkg/eventrows"
	"github.com/cemhq/cem/services/processor/internal/sink"
	"github.com/cemhq/cem/services/processor/internal/stage"
)

// Stage maps events to rows of the events table. It holds no state beyond
// the rows of the current flush.
type Stage struct {
	evs []*stage.Event
}

var (
	_ stage.Stage  = (*Stage)(nil)
	_ stage.Sealer = (*Stage)(nil)
)

// NewStage returns the events table stage.
func NewStage() *Stage { return &Stage{} }

// Name implements stage.Stage.
func (s *Stage) Name() string { return "timeline" }

// Load implements stage.Stage; the stage needs no state.
func (s *Stage) Load(context.Context, []*stage.Event) error { return nil }

// Process implements stage.Stage.
func (s *Stage) Process(ev *stage.Event) error {
	s.evs = append(s.evs, ev)
	return nil
}

// Written implements stage.Stage.
func (s *Stage) Written() {}

// Reset implements stage.Stage.
func (s *Stage) Reset() { s.evs = nil }

// Seal implements stage.Sealer: one events row per processed event, built
// by the pipeline while the previous flush's writes finish (the flush's
// events no longer change).
func (s *Stage) Seal() []sink.Block {
	evs := s.evs
	s.evs = nil
	return []sink.Block{{Table: "events", Columns: eventrows.Columns(), Build: func() ([]any, int) {
		b := Rows(evs)
		// The events are garbage now: the block is held until the flush
		// is written, and the collector need not scan them until then.
		evs = nil
		return b.Data, b.Rows
	}}}
}

// Drain implements stage.Stage: the events block is sealed (Seal).
func (s *Stage) Drain() []sink.Block { return nil }

// Rows maps evs to one block of the events table; each row's version is
// eventrows.Version of its receive time (the first received copy of an
// event id wins).
func Rows(evs []*stage.Event) sink.Block {
	c := eventrows.NewColumnar(len(evs))
	var r eventrows.Row
	for _, e := range evs {
		sig := eventrows.SignalOf(&e.Event, &e.Reserved)
		r = eventrows.Row{
			Event: &e.Event, Reserved: &e.Reserved, ID: e.ID, Key: e.Key, CustomerID: e.CustomerID, SessionID: e.SessionID,
			Channel: e.Channel, Touchpoint: e.Touchpoint, Campaign: e.Campaign, Signal: sig.Name, SignalWeight: sig.Weight, TsMs: e.TsMs,
		}
		c.Add(&r)
	}
	return sink.Block{Table: "events", Columns: eventrows.Columns(), Data: c.Data(), Rows: len(evs)}
}
