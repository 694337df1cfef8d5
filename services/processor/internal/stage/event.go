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

	// IDs are the event's ids as the identity stage links them, set by its
	// Prepare.
	IDs IDs

	// CustomerID is the canonical customer id at write time (identity stage).
	CustomerID string
	// SessionID is the session the event belongs to (session stage).
	SessionID string
}

// IDs are an event's anonymousId, userId and previousId with junk ids
// (package junkid) blank.
type IDs struct {
	Anon, User, Prev string
	// Set tells prepared IDs from the zero value.
	Set bool
}

// New derives an Event from a decoded wire event.
func New(ev events.Event, reserved events.Reserved, partition int, offset int64) *Event {
	e := &Event{Event: ev, Reserved: reserved}
	e.Derive(partition, offset)
	return e
}

// Derive fills the fields that follow from Event and Reserved (ID, Key,
// Channel, Touchpoint, Campaign, TsMs) and the Kafka position, for an Event
// decoded in place.
func (e *Event) Derive(partition int, offset int64) {
	ev := &e.Event
	e.ID = ev.Source + ":" + ev.MessageID
	e.Key = ev.CustomerKey()
	e.Channel = ev.Channel()
	e.TsMs = ev.Timestamp.UnixMilli()
	e.Partition, e.Offset = partition, offset
	if c := ev.Context.Campaign; c != nil {
		e.Campaign = c.Name
	}
	e.Touchpoint = eventrows.Touchpoint(ev, e.Channel)
}
