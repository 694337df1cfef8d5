package streamalert

import (
	"fmt"
	"time"

	"github.com/cemhq/cem/pkg/alerting"
	"github.com/cemhq/cem/pkg/events"
	"github.com/cemhq/cem/services/processor/internal/stage"
)

// Match returns the stream alert ev triggers (raised at now), if any. The
// customer is ev's canonical customer id (the identity stage fills it),
// else its customer key.
func Match(ev *stage.Event, now time.Time) (alerting.Alert, bool) {
	e := &ev.Event
	if e.Type != events.TypeTrack {
		return alerting.Alert{}, false
	}
	var reason, msg string
	where := ev.Touchpoint
	if where == "" {
		where = ev.Channel
	}
	day := e.Timestamp.UTC().Format(time.DateOnly)
	score := ev.Reserved.Score
	switch e.Event {
	case events.NPSSubmitted:
		if score == nil || *score > 6 {
			return alerting.Alert{}, false
		}
		reason, msg = alerting.Detractor, fmt.Sprintf("detractor: NPS %g on %s (%s)", *score, day, where)
	case events.CSATSubmitted:
		if score == nil || *score > 2 {
			return alerting.Alert{}, false
		}
		reason, msg = alerting.LowCSAT, fmt.Sprintf("low CSAT: %g of 5 on %s (%s)", *score, day, where)
	case events.ComplaintFiled:
		reason, msg = alerting.Complaint, fmt.Sprintf("complaint filed on %s via %s", day, orUnknown(ev.Channel))
	case events.PaymentFailed:
		if ev.Reserved.OrderID == "" {
			return alerting.Alert{}, false
		}
		reason, msg = alerting.PaymentFailed, fmt.Sprintf("payment of order %s failed on %s via %s", ev.Reserved.OrderID, day, orUnknown(ev.Channel))
	default:
		return alerting.Alert{}, false
	}
	customer := ev.CustomerID
	if customer == "" {
		customer = ev.Key
	}
	a := alerting.New(reason, customer, ev.ID, e.Timestamp, now)
	a.Message, a.Channel, a.ReceivedAt = msg, ev.Channel, e.ReceivedAt
	return a, true
}

func orUnknown(channel string) string {
	if channel == "" {
		return "unknown channel"
	}
	return channel
}
