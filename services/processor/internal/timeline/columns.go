package timeline

import (
	"encoding/json"
	"time"

	"github.com/cemhq/cem/services/processor/internal/stage"
)

// strCols are the String columns of the events table and how each is read
// from an event, in insert order.
var strCols = []struct {
	name string
	get  func(*stage.Event) string
}{
	{"event_id", func(e *stage.Event) string { return e.ID }},
	{"message_id", func(e *stage.Event) string { return e.Event.MessageID }},
	{"source", func(e *stage.Event) string { return e.Event.Source }},
	{"type", func(e *stage.Event) string { return string(e.Event.Type) }},
	{"event", func(e *stage.Event) string { return e.Event.Event }},
	{"name", func(e *stage.Event) string { return e.Event.DisplayName() }},
	{"customer_key", func(e *stage.Event) string { return e.Key }},
	{"customer_id", func(e *stage.Event) string { return e.CustomerID }},
	{"anonymous_id", func(e *stage.Event) string { return e.Event.AnonymousID }},
	{"user_id", func(e *stage.Event) string { return e.Event.UserID }},
	{"group_id", func(e *stage.Event) string { return e.Event.GroupID }},
	{"previous_id", func(e *stage.Event) string { return e.Event.PreviousID }},
	{"session_id", func(e *stage.Event) string { return e.SessionID }},
	{"channel", func(e *stage.Event) string { return e.Channel }},
	{"touchpoint", func(e *stage.Event) string { return e.Touchpoint }},
	{"ip", func(e *stage.Event) string {
		if e.Event.Enrichment.IP != "" {
			return e.Event.Enrichment.IP
		}
		return e.Event.Context.IP
	}},
	{"user_agent", func(e *stage.Event) string { return e.Event.Context.UserAgent }},
	{"browser", func(e *stage.Event) string { return e.Event.Enrichment.Browser }},
	{"os", func(e *stage.Event) string { return e.Event.Enrichment.OS }},
	{"device_type", func(e *stage.Event) string { return e.Event.Enrichment.DeviceType }},
	{"page_path", func(e *stage.Event) string {
		if p := e.Event.Context.Page; p != nil {
			return p.Path
		}
		return ""
	}},
	{"page_url", func(e *stage.Event) string {
		if p := e.Event.Context.Page; p != nil {
			return p.URL
		}
		return ""
	}},
	{"referrer", func(e *stage.Event) string {
		if p := e.Event.Context.Page; p != nil {
			return p.Referrer
		}
		return ""
	}},
	{"campaign_name", func(e *stage.Event) string { return e.Campaign }},
	{"campaign_source", func(e *stage.Event) string {
		if c := e.Event.Context.Campaign; c != nil {
			return c.Source
		}
		return ""
	}},
	{"campaign_medium", func(e *stage.Event) string {
		if c := e.Event.Context.Campaign; c != nil {
			return c.Medium
		}
		return ""
	}},
	{"properties", func(e *stage.Event) string { return rawText(e.Event.Properties) }},
	{"traits", func(e *stage.Event) string { return rawText(e.Event.Traits) }},
	{"context", func(e *stage.Event) string {
		b, err := json.Marshal(&e.Event.Context)
		if err != nil {
			return "{}"
		}
		return string(b)
	}},
	{"currency", func(e *stage.Event) string { return e.Reserved.Currency }},
	{"order_id", func(e *stage.Event) string { return e.Reserved.OrderID }},
	{"ticket_id", func(e *stage.Event) string { return e.Reserved.TicketID }},
	{"ticket_channel", func(e *stage.Event) string { return e.Reserved.TicketChannel }},
	{"contract_id", func(e *stage.Event) string { return e.Reserved.ContractID }},
}

func rawText(b json.RawMessage) string {
	if len(b) == 0 {
		return "{}"
	}
	return string(b)
}

func ms(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixMilli()
}

// secs returns t truncated to the second in UTC; the zero time maps to the
// Unix epoch, the smallest DateTime.
func secs(t time.Time) time.Time {
	if t.IsZero() {
		return time.Unix(0, 0).UTC()
	}
	return t.UTC().Truncate(time.Second)
}
