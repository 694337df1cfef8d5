package events

import (
	"encoding/json"
	"fmt"

	gojson "github.com/goccy/go-json"
)

// WireVersion is the version of the Kafka encoding of an Event. It is written
// as the field "v" of every record value and as the record header HeaderVersion.
//
// Version 1: the value is the JSON of Event (Segment spec v1 field names,
// times as RFC 3339 with milliseconds, properties/traits/context as the SDK
// sent them) plus "v": 1. JSON keeps records readable with any Kafka tool
// and lets consumers skip fields they do not know; a consumer refuses a
// higher version than it understands instead of guessing (the record goes to
// the DLQ and can be replayed by a newer consumer).
//
// The record key is Event.CustomerKey().
const WireVersion = 1

// HeaderVersion is the Kafka header that carries WireVersion.
const HeaderVersion = "cem-v"

// wireEvent is Event with the version field.
type wireEvent struct {
	V int `json:"v"`
	*Event
}

// Marshal encodes ev for Kafka (see WireVersion). AppendMarshal writes
// the same bytes into a caller's buffer.
func Marshal(ev *Event) ([]byte, error) {
	return AppendMarshal(make([]byte, 0, 1024), ev)
}

// Unmarshal decodes a Kafka record value written by Marshal. It fails on
// bytes that are not a wire event and on a version it does not know.
func Unmarshal(b []byte) (Event, error) {
	var ev Event
	err := UnmarshalTo(b, &ev)
	return ev, err
}

// UnmarshalTo is Unmarshal into *ev, which it overwrites (the zero Event
// on error): a caller whose Event is a field of a larger value decodes in
// place instead of copying the Event there.
func UnmarshalTo(b []byte, ev *Event) error {
	ok := unmarshalFast(b, ev)
	if unmarshalHook != nil {
		unmarshalHook(ok)
	}
	if ok {
		return nil
	}
	return unmarshalReference(b, ev)
}

// unmarshalHook, when a test sets it, learns of each Unmarshal whether
// unmarshalFast decoded the record.
var unmarshalHook func(fast bool)

// unmarshalReference is Unmarshal without its fast path: what
// unmarshalFast must agree with, and the path that words the errors.
func unmarshalReference(b []byte, ev *Event) (err error) {
	*ev = Event{}
	defer func() {
		if err != nil {
			*ev = Event{}
		}
	}()
	w := wireEvent{Event: ev}
	// goccy/go-json decodes about three times faster than encoding/json but
	// does not check the content of raw fields; validate the whole value
	// first so that invalid JSON never passes as properties or context.
	if !json.Valid(b) {
		return fmt.Errorf("wire event: not valid JSON")
	}
	if err := gojson.Unmarshal(b, &w); err != nil {
		return fmt.Errorf("wire event: %w", err)
	}
	if w.V != WireVersion {
		return fmt.Errorf("wire event: version %d, want %d", w.V, WireVersion)
	}
	return nil
}
