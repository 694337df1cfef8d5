package pipeline

import (
	"errors"
	"time"

	"github.com/cemhq/cem/pkg/events"
	"github.com/cemhq/cem/pkg/record"
	"github.com/cemhq/cem/services/processor/internal/stage"
)

// decode turns a Kafka message into an Event, or into the Failure that sends
// it to the DLQ: reason decode when the bytes are not a wire event, schema
// when the event fails the re-check (envelope fields the processor relies
// on, typed reserved properties).
func decode(m record.Record, now time.Time) (*stage.Event, *events.Failure) {
	e := &stage.Event{} // decoded in place: the Event is most of its size
	ev := &e.Event
	if err := events.UnmarshalTo(m.Value, ev); err != nil {
		return nil, newFailure(m, nil, events.ReasonDecode, err, now)
	}
	if err := recheck(ev); err != nil {
		return nil, newFailure(m, ev, events.ReasonSchema, err, now)
	}
	res, err := ev.Reserved()
	if err != nil {
		return nil, newFailure(m, ev, events.ReasonSchema, err, now)
	}
	e.Reserved = res
	e.Derive(m.Partition, m.Offset)
	return e, nil
}

// recheck verifies what the processor relies on: a known type, a message id,
// a customer key and an event time.
func recheck(ev *events.Event) error {
	switch {
	case !ev.Type.Valid():
		return errors.New("type: not a Segment call type")
	case ev.MessageID == "":
		return errors.New("messageId: missing")
	case ev.CustomerKey() == "":
		return errors.New("anonymousId, userId: one is required")
	case ev.Timestamp.IsZero():
		return errors.New("timestamp: missing")
	}
	return nil
}

func newFailure(m record.Record, ev *events.Event, reason events.Reason, err error, now time.Time) *events.Failure {
	f := &events.Failure{
		V:      1,
		Stage:  "processor",
		Reason: reason,
		Error:  err.Error(),
		At:     now.UTC(),
	}
	// Capped like the collector's records: a record wrapped with its
	// escaping could exceed Kafka's message limit and block the DLQ.
	f.SetRaw(m.Value, events.DefaultMaxRawBytes)
	if ev != nil {
		f.Source, f.MessageID = ev.Source, ev.MessageID
	}
	return f
}
