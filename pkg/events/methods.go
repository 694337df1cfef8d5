package events

import (
	"encoding/json"
	"fmt"
	"slices"

	gojson "github.com/goccy/go-json"
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

// Channels are the touchpoint channel names context.channel may carry (the
// enum of schemas/events/envelope.json; a test keeps the two equal).
var Channels = []string{"web", "app", "email", "phone", "letter", "store", "chat", "social", "support", "sms", "push", "other"}

// IsChannel reports whether name is one of Channels.
func IsChannel(name string) bool { return slices.Contains(Channels, name) }

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

// contextKeys maps each context key that Context types to its field;
// every other key goes to Extra.
var contextKeys = map[string]func(*Context) any{
	"ip": func(c *Context) any { return &c.IP }, "userAgent": func(c *Context) any { return &c.UserAgent },
	"locale": func(c *Context) any { return &c.Locale }, "timezone": func(c *Context) any { return &c.Timezone },
	"channel": func(c *Context) any { return &c.Channel }, "page": func(c *Context) any { return &c.Page },
	"app": func(c *Context) any { return &c.App }, "device": func(c *Context) any { return &c.Device },
	"os": func(c *Context) any { return &c.OS }, "campaign": func(c *Context) any { return &c.Campaign },
	"library": func(c *Context) any { return &c.Library },
}

// contextAlias has Context's fields without its methods.
type contextAlias Context

// UnmarshalJSON decodes the typed fields and keeps every other key in Extra.
func (c *Context) UnmarshalJSON(b []byte) error {
	var all map[string]json.RawMessage
	if err := gojson.Unmarshal(b, &all); err != nil {
		return err
	}
	var out Context
	for k, raw := range all {
		field, typed := contextKeys[k]
		if !typed {
			if out.Extra == nil {
				out.Extra = map[string]json.RawMessage{}
			}
			out.Extra[k] = raw
			continue
		}
		if err := gojson.Unmarshal(raw, field(&out)); err != nil {
			return fmt.Errorf("context.%s: %w", k, err)
		}
	}
	*c = out
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
