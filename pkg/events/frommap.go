package events

import (
	"encoding/json"
	"time"
)

// fromDoc builds an Event from the generic JSON value that passed the
// envelope schema (objects as map[string]any, numbers as json.Number). It
// saves a second parse of the raw bytes: the schema already guaranteed the
// JSON types, so every assertion here holds for valid input. Properties,
// traits, integrations and unknown context keys are re-encoded as JSON.
func fromDoc(m map[string]any, at string) (Event, *FieldError) {
	ev := Event{
		Type: Type(str(m["type"])), MessageID: str(m["messageId"]),
		AnonymousID: str(m["anonymousId"]), UserID: str(m["userId"]), GroupID: str(m["groupId"]), PreviousID: str(m["previousId"]),
		Event: str(m["event"]), Name: str(m["name"]), Category: str(m["category"]),
	}
	var err error
	for _, f := range []struct {
		key string
		dst *json.RawMessage
	}{{"properties", &ev.Properties}, {"traits", &ev.Traits}, {"integrations", &ev.Integrations}} {
		if v, ok := m[f.key].(map[string]any); ok {
			if *f.dst, err = marshalValue(v); err != nil {
				return Event{}, fieldErr(ReasonFormat, at, f.key, err.Error())
			}
		}
	}
	if c, ok := m["context"].(map[string]any); ok {
		if ev.Context, err = contextFromDoc(c); err != nil {
			return Event{}, fieldErr(ReasonFormat, at, "context", err.Error())
		}
	}
	var issues []Issue
	for _, f := range []struct {
		name string
		dst  *time.Time
	}{{"timestamp", &ev.Timestamp}, {"originalTimestamp", &ev.OriginalTimestamp}, {"sentAt", &ev.SentAt}} {
		t, err := parseTime(str(m[f.name]))
		if err != nil {
			issues = append(issues, Issue{Field: f.name, Msg: err.Error()})
		}
		*f.dst = t
	}
	if issues != nil {
		return Event{}, &FieldError{Reason: ReasonFormat, At: at, Issues: issues}
	}
	return ev, nil
}

func contextFromDoc(c map[string]any) (Context, error) {
	ctx := Context{
		IP: str(c["ip"]), UserAgent: str(c["userAgent"]), Locale: str(c["locale"]),
		Timezone: str(c["timezone"]), Channel: str(c["channel"]),
	}
	if p, ok := c["page"].(map[string]any); ok {
		ctx.Page = &PageContext{Path: str(p["path"]), Referrer: str(p["referrer"]), Search: str(p["search"]), Title: str(p["title"]), URL: str(p["url"])}
	}
	if a, ok := c["app"].(map[string]any); ok {
		ctx.App = &AppContext{Name: str(a["name"]), Version: str(a["version"]), Build: str(a["build"]), Namespace: str(a["namespace"])}
	}
	if d, ok := c["device"].(map[string]any); ok {
		ctx.Device = &DeviceContext{ID: str(d["id"]), Manufacturer: str(d["manufacturer"]), Model: str(d["model"]), Name: str(d["name"]), Type: str(d["type"])}
	}
	if o, ok := c["os"].(map[string]any); ok {
		ctx.OS = &OSContext{Name: str(o["name"]), Version: str(o["version"])}
	}
	if k, ok := c["campaign"].(map[string]any); ok {
		ctx.Campaign = &Campaign{Name: str(k["name"]), Source: str(k["source"]), Medium: str(k["medium"]), Term: str(k["term"]), Content: str(k["content"])}
	}
	if l, ok := c["library"].(map[string]any); ok {
		ctx.Library = &LibraryContext{Name: str(l["name"]), Version: str(l["version"])}
	}
	for k, v := range c {
		if _, typed := contextKeys[k]; typed {
			continue // set above; the schema guaranteed its type
		}
		raw, err := marshalValue(v)
		if err != nil {
			return Context{}, err
		}
		if ctx.Extra == nil {
			ctx.Extra = map[string]json.RawMessage{}
		}
		ctx.Extra[k] = raw
	}
	return ctx, nil
}

// str returns a JSON string or the literal of a JSON number; "" otherwise.
func str(v any) string {
	switch s := v.(type) {
	case string:
		return s
	case json.Number:
		return string(s)
	}
	return ""
}
