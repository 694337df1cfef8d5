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
//
// It fills ev, a zero Event, in place; on error ev is left zero.
func fromDoc(ev *Event, m map[string]any, at string) *FieldError {
	fe := fillFromDoc(ev, m, at)
	if fe != nil {
		*ev = Event{}
	}
	return fe
}

func fillFromDoc(ev *Event, m map[string]any, at string) *FieldError {
	ev.Type, ev.MessageID = Type(str(m["type"])), str(m["messageId"])
	ev.AnonymousID, ev.UserID, ev.GroupID, ev.PreviousID = str(m["anonymousId"]), str(m["userId"]), str(m["groupId"]), str(m["previousId"])
	ev.Event, ev.Name, ev.Category = str(m["event"]), str(m["name"]), str(m["category"])
	var err error
	for _, f := range []struct {
		key string
		dst *json.RawMessage
	}{{"properties", &ev.Properties}, {"traits", &ev.Traits}, {"integrations", &ev.Integrations}} {
		if v, ok := m[f.key].(map[string]any); ok {
			if *f.dst, err = marshalValue(v); err != nil {
				return fieldErr(ReasonFormat, at, f.key, err.Error())
			}
		}
	}
	if c, ok := m["context"].(map[string]any); ok {
		if err = contextFromDoc(&ev.Context, c); err != nil {
			return fieldErr(ReasonFormat, at, "context", err.Error())
		}
	}
	if ev.Context.Channel == "" {
		ev.Context.Channel = topLevelChannel(m["channel"]) // RudderStack's
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
		return &FieldError{Reason: ReasonFormat, At: at, Issues: issues}
	}
	return nil
}

// contextFromDoc fills ctx, a zero Context.
func contextFromDoc(ctx *Context, c map[string]any) error {
	ctx.IP, ctx.UserAgent, ctx.Locale = str(c["ip"]), str(c["userAgent"]), str(c["locale"])
	ctx.Timezone, ctx.Channel = str(c["timezone"]), str(c["channel"])
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
			return err
		}
		if ctx.Extra == nil {
			ctx.Extra = map[string]json.RawMessage{}
		}
		ctx.Extra[k] = raw
	}
	return nil
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
