package eventrows

import (
	"strings"

	"github.com/cemhq/cem/pkg/events"
)

// Touchpoint returns the stable touchpoint label of ev: channel + ":" + the
// page path (page calls; falling back to the page name), the screen name
// (screen calls), the event name (track calls) or the call type (identify,
// group, alias). The label has no query string or fragment, so it stays a
// small set per site.
func Touchpoint(ev *events.Event, channel string) string {
	var what string
	switch ev.Type {
	case events.TypePage:
		if p := ev.Context.Page; p != nil && p.Path != "" {
			what = p.Path
		} else {
			what = ev.Name
		}
	case events.TypeScreen:
		what = ev.Name
	case events.TypeTrack:
		what = ev.Event
	default:
		what = string(ev.Type)
	}
	if i := strings.IndexAny(what, "?#"); i >= 0 {
		what = what[:i]
	}
	if what == "" {
		what = string(ev.Type)
	}
	if channel == "" {
		channel = "unknown"
	}
	return channel + ":" + what
}

// Signal names an experience signal and its weight in [-1, 1]: negative for
// bad experiences, positive for good ones.
type Signal struct {
	Name   string
	Weight float64
}

// fixed maps reserved event names with a constant signal.
var fixed = map[string]Signal{
	"Error Shown":        {"error_shown", -0.5},
	"Payment Failed":     {"payment_failed", -1},
	"Complaint Filed":    {"complaint", -1},
	"Reward Granted":     {"reward", 1},
	"Order Completed":    {"order", 0.5},
	"Order Refunded":     {"refund", -0.5},
	"Ticket Opened":      {"ticket_opened", -0.25},
	"Ticket Resolved":    {"ticket_resolved", 0.25},
	"Referral Sent":      {"referral", 0.5},
	"Referral Converted": {"referral", 1},
	"Contract Renewed":   {"contract_renewed", 1},
	"Contract Cancelled": {"contract_cancelled", -1},
}

// surveys maps survey events to the score that weighs 0 and the score span
// that maps to ±1: NPS (0-10) 7.5 ± 2.5, CSAT (1-5) 3 ± 2, CES (1-7) 4 ± 3.
var surveys = map[string][2]float64{
	"NPS Submitted":  {7.5, 2.5},
	"CSAT Submitted": {3, 2},
	"CES Submitted":  {4, 3},
}

// SignalOf returns the experience signal of ev with its reserved
// properties res, or the zero Signal. Surveys weigh by their score, clamped
// to [-1, 1]; "Feedback Given" is the signal feedback with weight 0 (its
// text needs a human).
func SignalOf(ev *events.Event, res *events.Reserved) Signal {
	name := ev.Event
	if s, ok := fixed[name]; ok {
		return s
	}
	if p, ok := surveys[name]; ok {
		if res.Score == nil {
			return Signal{"survey", 0}
		}
		w := (*res.Score - p[0]) / p[1]
		return Signal{"survey", max(-1, min(1, w))}
	}
	if name == "Feedback Given" {
		return Signal{"feedback", 0}
	}
	return Signal{}
}
