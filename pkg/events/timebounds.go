package events

import (
	"fmt"
	"time"
)

// TimeBounds keeps event times sane: a timestamp more than MaxFuture after
// the event was received, or more than MaxPast before, is either clamped
// to receivedAt (Enrichment.TimeClamped says which bound; originalTimestamp
// keeps the client's time) or, with Refuse, rejects the event with
// ReasonTime. A zero bound is off.
//
// Live endpoints clamp: the event did happen and was received now, so
// receivedAt is the best estimate of its time (a device clock reset to 1970
// or set years ahead). /v1/import refuses: an explicit historical time is
// the point of an import, and a wrong one must be fixed at the source, not
// turned into "now".
//
// A timestamp corrected with sentAt (Normalize) is also clamped ("future")
// when it is later than receivedAt by more than SentAtTolerance, whatever
// MaxFuture: it comes from an originalTimestamp after the client's own
// sentAt, which the client's clock cannot produce (an event sent before it
// happened), so only a forged time difference gets there.
type TimeBounds struct {
	MaxFuture, MaxPast time.Duration
	Refuse             bool
}

// SentAtTolerance is how far an event's originalTimestamp may be after the
// sentAt of its request (so its corrected timestamp after receivedAt)
// before the timestamp is clamped: SDKs take both from one clock, so
// beyond rounding the difference is a forged one.
const SentAtTolerance = 5 * time.Second

// apply checks ev's timestamp, clamping it or returning the rejection.
// corrected tells that Normalize corrected it with sentAt.
func (b TimeBounds) apply(ev *Event, at string, corrected bool) *FieldError {
	var which string
	var bound time.Duration
	switch {
	case b.MaxFuture > 0 && corrected && !b.Refuse && ev.Timestamp.After(ev.ReceivedAt.Add(SentAtTolerance)):
		which, bound = "future", SentAtTolerance
	case b.MaxFuture > 0 && ev.Timestamp.After(ev.ReceivedAt.Add(b.MaxFuture)):
		which, bound = "future", b.MaxFuture
	case b.MaxPast > 0 && ev.Timestamp.Before(ev.ReceivedAt.Add(-b.MaxPast)):
		which, bound = "past", b.MaxPast
	default:
		return nil
	}
	if b.Refuse {
		return fieldErr(ReasonTime, at, "timestamp", fmt.Sprintf("%s is more than %s in the %s of the time it was received (%s)",
			ev.Timestamp.Format(time.RFC3339Nano), bound, which, ev.ReceivedAt.Format(time.RFC3339Nano)))
	}
	ev.Timestamp = ev.ReceivedAt
	ev.Enrichment.TimeClamped = which
	return nil
}
