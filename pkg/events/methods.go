package events

import (
	"encoding/json"
	"strings"
)

// CustomerKey is the key an event is partitioned by on Kafka: the
// anonymousId when there is one, else the userId. A device's events (before
// and after login) share one key and therefore one partition, which keeps
// them in order for sessionization; the link to the userId is made by the
// identity stage of the processor, not by the key.
func (e *Event) CustomerKey() string {
	if e.AnonymousID != "" {
		return e.AnonymousID
	}
	return e.UserID
}

// Channel is the touchpoint channel of the event: context.channel when set
// (lower-cased), else "app" for events from a mobile SDK (screen calls,
// context.app or context.device), else "web" for events from a browser
// (page calls, context.page or a user agent), else "" (unknown; server-side
// systems should always set context.channel).
func (e *Event) Channel() string {
	if c := e.Context.Channel; c != "" {
		return strings.ToLower(strings.TrimSpace(c))
	}
	switch {
	case e.Type == TypeScreen || e.Context.App != nil || e.Context.Device != nil:
		return "app"
	case e.Type == TypePage || e.Context.Page != nil || e.Context.UserAgent != "":
		return "web"
	}
	return ""
}

// DisplayName is the event's name: the event of a track call, the name of a
// page or screen call, "" for the other types.
func (e *Event) DisplayName() string {
	switch e.Type {
	case TypeTrack:
		return e.Event
	case TypePage, TypeScreen:
		return e.Name
	}
	return ""
}

// contextFields are the keys Context types; every other key goes to Extra.
var contextFields = map[string]bool{
	"ip": true, "userAgent": true, "locale": true, "timezone": true, "channel": true,
	"page": true, "app": true, "device": true, "os": true, "campaign": true, "library": true,
}

// contextAlias has Context's fields without its methods.
type contextAlias Context

// UnmarshalJSON decodes the typed fields and keeps every other key in Extra.
func (c *Context) UnmarshalJSON(b []byte) error {
	var typed contextAlias
	if err := json.Unmarshal(b, &typed); err != nil {
		return err
	}
	var all map[string]json.RawMessage
	if err := json.Unmarshal(b, &all); err != nil {
		return err
	}
	for k := range all {
		if contextFields[k] {
			delete(all, k)
		}
	}
	if len(all) == 0 {
		all = nil
	}
	*c = Context(typed)
	c.Extra = all
	return nil
}

// MarshalJSON writes the typed fields and the Extra keys in one object.
func (c Context) MarshalJSON() ([]byte, error) {
	typed, err := json.Marshal(contextAlias(c))
	if err != nil || len(c.Extra) == 0 {
		return typed, err
	}
	extra, err := json.Marshal(c.Extra)
	if err != nil {
		return nil, err
	}
	if len(typed) == 2 { // "{}"
		return extra, nil
	}
	out := make([]byte, 0, len(typed)+len(extra))
	out = append(out, typed[:len(typed)-1]...)
	out = append(out, ',')
	return append(out, extra[1:]...), nil
}
