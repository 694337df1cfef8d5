package stage

import (
	"github.com/cemhq/cem/pkg/eventrows"
	"github.com/cemhq/cem/pkg/events"
)

// Event is one decoded event with what the processor derives from it. The
// fields after Reserved are filled by the stages in order.
type Event struct {
	// Event is the decoded wire event.
	Event events.Event
	// Reserved holds the typed properties of a reserved event.
	Reserved events.Reserved
	// ID is the idempotency key: source + ":" + messageId.
	ID string
	// Key is the customer key (anonymousId, else userId), as on Kafka.
	Key string
	// Channel is the touchpoint channel (context.channel or the source's
	// default).
	Channel string
	// Touchpoint is channel + ":" + page path, screen name or event name.
	Touchpoint string
	// Campaign is context.campaign.name.
	Campaign string
	// TsMs is the event time in Unix milliseconds.
	TsMs int64
	// Partition and Offset locate the Kafka message.
	Partition int
	Offset    int64

	// CustomerID is the canonical customer id at write time (identity stage).
	CustomerID string
	// SessionID is the session the event belongs to (session stage).
	SessionID string
}

// New derives an Event from a decoded wire event.
func New(ev events.Event, reserved events.Reserved, partition int, offset int64) *Event {
	e := &Event{
		Event:     ev,
		Reserved:  reserved,
		ID:        ev.Source + ":" + ev.MessageID,
		Key:       ev.CustomerKey(),
		Channel:   ev.Channel(),
		TsMs:      ev.Timestamp.UnixMilli(),
		Partition: partition,
		Offset:    offset,
	}
	if c := ev.Context.Campaign; c != nil {
		e.Campaign = c.Name
	}
	e.Touchpoint = eventrows.Touchpoint(&e.Event, e.Channel)
	return e
}
