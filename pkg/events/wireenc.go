package events

import (
	"encoding/json"
	"slices"
	"time"
	"unicode/utf8"
)

// AppendMarshal appends the Kafka encoding of ev (see WireVersion) to dst.
// The bytes are exactly those of Marshal; it encodes without reflection and
// without intermediate buffers, and takes the encoding/json path for what
// it does not handle itself (raw fields that are not compact JSON, or
// times that are not UTC), so that both always agree.
func AppendMarshal(dst []byte, ev *Event) ([]byte, error) {
	n := len(dst)
	if out, ok := appendWire(dst, ev); ok {
		return out, nil
	}
	b, err := json.Marshal(wireEvent{V: WireVersion, Event: ev})
	if err != nil {
		return dst[:n], err
	}
	return append(dst[:n], b...), nil
}

// AppendContext appends the JSON of c to dst: the bytes of json.Marshal(c)
// (Context.MarshalJSON, compacted), without reflection on the common path.
func AppendContext(dst []byte, c *Context) ([]byte, error) {
	n := len(dst)
	if out, ok := appendContext(dst, c); ok {
		return out, nil
	}
	b, err := json.Marshal(c)
	if err != nil {
		return dst[:n], err
	}
	return append(dst[:n], b...), nil
}

// appendWire is the fast path of AppendMarshal. It reports false, leaving
// dst's contents beyond len(dst) undefined, when the event needs
// encoding/json.
func appendWire(b []byte, ev *Event) ([]byte, bool) {
	if ev == nil { // encoding/json writes only the version
		return b, false
	}
	ok := true
	b = append(b, `{"v":1,"type":`...)
	b = appendJSONString(b, string(ev.Type))
	b = append(b, `,"messageId":`...)
	b = appendJSONString(b, ev.MessageID)
	b = appendStringField(b, `,"anonymousId":`, ev.AnonymousID)
	b = appendStringField(b, `,"userId":`, ev.UserID)
	b = appendStringField(b, `,"event":`, ev.Event)
	b = appendStringField(b, `,"name":`, ev.Name)
	b = appendStringField(b, `,"category":`, ev.Category)
	b = appendStringField(b, `,"groupId":`, ev.GroupID)
	b = appendStringField(b, `,"previousId":`, ev.PreviousID)
	for _, f := range [...]struct {
		name string
		raw  json.RawMessage
	}{{`,"properties":`, ev.Properties}, {`,"traits":`, ev.Traits}, {`,"integrations":`, ev.Integrations}} {
		if len(f.raw) == 0 {
			continue
		}
		if !isCompactJSON(f.raw) {
			return b, false
		}
		b = append(b, f.name...)
		b = append(b, f.raw...)
	}
	b = append(b, `,"context":`...)
	if b, ok = appendContext(b, &ev.Context); !ok {
		return b, false
	}
	b = append(b, `,"timestamp":`...)
	if b, ok = appendTime(b, ev.Timestamp); !ok {
		return b, false
	}
	for _, f := range [...]struct {
		name string
		t    time.Time
	}{{`,"originalTimestamp":`, ev.OriginalTimestamp}, {`,"sentAt":`, ev.SentAt}, {`,"receivedAt":`, ev.ReceivedAt}} {
		if f.t.IsZero() {
			continue
		}
		b = append(b, f.name...)
		if b, ok = appendTime(b, f.t); !ok {
			return b, false
		}
	}
	b = appendStringField(b, `,"source":`, ev.Source)
	if e := &ev.Enrichment; *e != (Enrichment{}) {
		b = append(b, `,"enrichment":`...)
		b = appendEnrichment(b, e)
	}
	return append(b, '}'), true
}

// appendContext writes what Context.MarshalJSON writes: the typed fields,
// then the Extra keys in sorted order.
func appendContext(b []byte, c *Context) ([]byte, bool) {
	start := len(b)
	b = append(b, '{')
	b = appendObjField(b, start, `"ip":`, c.IP)
	b = appendObjField(b, start, `"userAgent":`, c.UserAgent)
	b = appendObjField(b, start, `"locale":`, c.Locale)
	b = appendObjField(b, start, `"timezone":`, c.Timezone)
	b = appendObjField(b, start, `"channel":`, c.Channel)
	if p := c.Page; p != nil {
		b = appendKey(b, start, `"page":`)
		b = appendStrings(b, `"path":`, p.Path, `"referrer":`, p.Referrer, `"search":`, p.Search, `"title":`, p.Title, `"url":`, p.URL)
	}
	if a := c.App; a != nil {
		b = appendKey(b, start, `"app":`)
		b = appendStrings(b, `"name":`, a.Name, `"version":`, a.Version, `"build":`, a.Build, `"namespace":`, a.Namespace)
	}
	if d := c.Device; d != nil {
		b = appendKey(b, start, `"device":`)
		b = appendStrings(b, `"id":`, d.ID, `"manufacturer":`, d.Manufacturer, `"model":`, d.Model, `"name":`, d.Name, `"type":`, d.Type)
	}
	if o := c.OS; o != nil {
		b = appendKey(b, start, `"os":`)
		b = appendStrings(b, `"name":`, o.Name, `"version":`, o.Version)
	}
	if k := c.Campaign; k != nil {
		b = appendKey(b, start, `"campaign":`)
		b = appendStrings(b, `"name":`, k.Name, `"source":`, k.Source, `"medium":`, k.Medium, `"term":`, k.Term, `"content":`, k.Content)
	}
	if l := c.Library; l != nil {
		b = appendKey(b, start, `"library":`)
		b = appendStrings(b, `"name":`, l.Name, `"version":`, l.Version)
	}
	if len(c.Extra) > 0 {
		var buf [16]string
		keys := buf[:0]
		for k := range c.Extra {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		for _, k := range keys {
			raw := c.Extra[k]
			if raw == nil {
				raw = json.RawMessage("null")
			} else if !isCompactJSON(raw) {
				return b, false
			}
			if len(b) > start+1 {
				b = append(b, ',')
			}
			b = appendJSONString(b, k)
			b = append(b, ':')
			b = append(b, raw...)
		}
	}
	return append(b, '}'), true
}

func appendEnrichment(b []byte, e *Enrichment) []byte {
	start := len(b)
	b = append(b, '{')
	b = appendObjField(b, start, `"ip":`, e.IP)
	b = appendObjField(b, start, `"browser":`, e.Browser)
	b = appendObjField(b, start, `"browserVersion":`, e.BrowserVersion)
	b = appendObjField(b, start, `"os":`, e.OS)
	b = appendObjField(b, start, `"deviceType":`, e.DeviceType)
	if e.Bot {
		b = appendKey(b, start, `"bot":`)
		b = append(b, "true"...)
	}
	if e.MessageIDGenerated {
		b = appendKey(b, start, `"messageIdGenerated":`)
		b = append(b, "true"...)
	}
	b = appendObjField(b, start, `"timeClamped":`, e.TimeClamped)
	if e.ServerSource {
		b = appendKey(b, start, `"serverSource":`)
		b = append(b, "true"...)
	}
	return append(b, '}')
}

// appendStrings writes an object of (key, value) pairs, leaving out empty
// values (the omitempty string fields of the context structs).
func appendStrings(b []byte, kv ...string) []byte {
	start := len(b)
	b = append(b, '{')
	for i := 0; i+1 < len(kv); i += 2 {
		b = appendObjField(b, start, kv[i], kv[i+1])
	}
	return append(b, '}')
}

// appendKey writes key (quoted, with its colon) into the object that
// starts at b[start], preceded by a comma unless it is the first member.
func appendKey(b []byte, start int, key string) []byte {
	if len(b) > start+1 {
		b = append(b, ',')
	}
	return append(b, key...)
}

// appendObjField writes an omitempty string member of the object that
// starts at b[start].
func appendObjField(b []byte, start int, key, v string) []byte {
	if v == "" {
		return b
	}
	return appendJSONString(appendKey(b, start, key), v)
}

// appendStringField writes an omitempty string member after a first one.
func appendStringField(b []byte, key, v string) []byte {
	if v == "" {
		return b
	}
	return appendJSONString(append(b, key...), v)
}

// appendTime writes t as time.Time.MarshalJSON does for UTC times of years
// 0-9999; other times report false.
func appendTime(b []byte, t time.Time) ([]byte, bool) {
	if t.Location() != time.UTC || t.Year() < 0 || t.Year() > 9999 {
		return b, false
	}
	b = append(b, '"')
	b = t.AppendFormat(b, time.RFC3339Nano)
	return append(b, '"'), true
}

const hexDigits = "0123456789abcdef"

// appendJSONString writes s as encoding/json does (HTML-safe: <, > and &
// escaped, invalid UTF-8 as U+FFFD, U+2028 and U+2029 escaped).
func appendJSONString(dst []byte, s string) []byte {
	dst = append(dst, '"')
	start := 0
	for i := 0; i < len(s); {
		if c := s[i]; c < utf8.RuneSelf {
			if c >= 0x20 && c != '"' && c != '\\' && c != '<' && c != '>' && c != '&' {
				i++
				continue
			}
			dst = append(dst, s[start:i]...)
			switch c {
			case '\\', '"':
				dst = append(dst, '\\', c)
			case '\b':
				dst = append(dst, '\\', 'b')
			case '\f':
				dst = append(dst, '\\', 'f')
			case '\n':
				dst = append(dst, '\\', 'n')
			case '\r':
				dst = append(dst, '\\', 'r')
			case '\t':
				dst = append(dst, '\\', 't')
			default:
				dst = append(dst, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xF])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			dst = append(dst, s[start:i]...)
			dst = append(dst, `\ufffd`...)
			i += size
			start = i
			continue
		}
		if r == '\u2028' || r == '\u2029' {
			dst = append(dst, s[start:i]...)
			dst = append(dst, '\\', 'u', '2', '0', '2', hexDigits[r&0xF])
			i += size
			start = i
			continue
		}
		i += size
	}
	dst = append(dst, s[start:]...)
	return append(dst, '"')
}

// isCompactJSON reports whether raw is one valid JSON value that
// encoding/json would write unchanged as a json.RawMessage: no whitespace
// outside strings, no <, > or & and no U+2028/U+2029 (which it escapes).
// It is conservative: false only costs the encoding/json path.
func isCompactJSON(raw []byte) bool {
	i, ok := compactValue(raw, 0, 0)
	return ok && i == len(raw)
}

// maxCompactDepth bounds the nesting compactValue follows; deeper values
// take the encoding/json path.
const maxCompactDepth = 512

func compactValue(s []byte, i, depth int) (int, bool) {
	if i >= len(s) || depth > maxCompactDepth {
		return i, false
	}
	switch c := s[i]; {
	case c == '{':
		i++
		if i < len(s) && s[i] == '}' {
			return i + 1, true
		}
		for {
			if i >= len(s) || s[i] != '"' {
				return i, false
			}
			var ok bool
			if i, ok = compactString(s, i); !ok || i >= len(s) || s[i] != ':' {
				return i, false
			}
			if i, ok = compactValue(s, i+1, depth+1); !ok || i >= len(s) {
				return i, false
			}
			switch s[i] {
			case ',':
				i++
			case '}':
				return i + 1, true
			default:
				return i, false
			}
		}
	case c == '[':
		i++
		if i < len(s) && s[i] == ']' {
			return i + 1, true
		}
		for {
			var ok bool
			if i, ok = compactValue(s, i, depth+1); !ok || i >= len(s) {
				return i, false
			}
			switch s[i] {
			case ',':
				i++
			case ']':
				return i + 1, true
			default:
				return i, false
			}
		}
	case c == '"':
		return compactString(s, i)
	case c == '-' || (c >= '0' && c <= '9'):
		return scanNumber(s, i)
	case c == 't':
		return literal(s, i, "true")
	case c == 'f':
		return literal(s, i, "false")
	case c == 'n':
		return literal(s, i, "null")
	}
	return i, false
}

func literal(s []byte, i int, lit string) (int, bool) {
	if len(s)-i < len(lit) || string(s[i:i+len(lit)]) != lit {
		return i, false
	}
	return i + len(lit), true
}

// compactString checks the string starting at s[i] (a quote) and returns
// the index after its closing quote.
func compactString(s []byte, i int) (int, bool) {
	for i++; i < len(s); i++ {
		switch c := s[i]; {
		case c == '"':
			return i + 1, true
		case c < 0x20 || c == '<' || c == '>' || c == '&':
			return i, false
		case c == 0xE2 && i+2 < len(s) && s[i+1] == 0x80 && s[i+2]&^1 == 0xA8:
			return i, false
		case c == '\\':
			i++
			if i >= len(s) {
				return i, false
			}
			switch s[i] {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
			case 'u':
				if len(s)-i < 5 || !isHex(s[i+1]) || !isHex(s[i+2]) || !isHex(s[i+3]) || !isHex(s[i+4]) {
					return i, false
				}
				i += 4
			default:
				return i, false
			}
		}
	}
	return i, false
}

func isHex(c byte) bool {
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F')
}

// scanNumber checks the JSON number starting at s[i] and returns the index
// after it.
func scanNumber(s []byte, i int) (int, bool) {
	if s[i] == '-' {
		i++
	}
	switch {
	case i < len(s) && s[i] == '0':
		i++
	case i < len(s) && s[i] >= '1' && s[i] <= '9':
		for i++; i < len(s) && s[i] >= '0' && s[i] <= '9'; i++ {
		}
	default:
		return i, false
	}
	if i < len(s) && s[i] == '.' {
		i++
		if i >= len(s) || s[i] < '0' || s[i] > '9' {
			return i, false
		}
		for i++; i < len(s) && s[i] >= '0' && s[i] <= '9'; i++ {
		}
	}
	if i < len(s) && (s[i] == 'e' || s[i] == 'E') {
		i++
		if i < len(s) && (s[i] == '+' || s[i] == '-') {
			i++
		}
		if i >= len(s) || s[i] < '0' || s[i] > '9' {
			return i, false
		}
		for i++; i < len(s) && s[i] >= '0' && s[i] <= '9'; i++ {
		}
	}
	return i, true
}

// marshalValue encodes a generic JSON value (as decodeDoc returns it)
// exactly as json.Marshal does: object keys sorted, strings HTML-safe.
func marshalValue(v any) ([]byte, error) {
	if b, ok := appendValue(nil, v, 0); ok {
		return b, nil
	}
	return json.Marshal(v)
}

// appendValue is the fast path of marshalValue; false for values it
// leaves to encoding/json (other Go types, invalid numbers, deep nesting).
func appendValue(b []byte, v any, depth int) ([]byte, bool) {
	if depth > maxCompactDepth {
		return b, false
	}
	switch v := v.(type) {
	case nil:
		return append(b, "null"...), true
	case bool:
		if v {
			return append(b, "true"...), true
		}
		return append(b, "false"...), true
	case string:
		return appendJSONString(b, v), true
	case json.Number:
		if v == "" {
			return b, false
		}
		if end, ok := scanNumber([]byte(v), 0); !ok || end != len(v) {
			return b, false
		}
		return append(b, v...), true
	case []any:
		if v == nil {
			return append(b, "null"...), true
		}
		b = append(b, '[')
		for i, e := range v {
			if i > 0 {
				b = append(b, ',')
			}
			var ok bool
			if b, ok = appendValue(b, e, depth+1); !ok {
				return b, false
			}
		}
		return append(b, ']'), true
	case map[string]any:
		if v == nil {
			return append(b, "null"...), true
		}
		var buf [16]string
		keys := buf[:0]
		for k := range v {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		b = append(b, '{')
		for i, k := range keys {
			if i > 0 {
				b = append(b, ',')
			}
			b = appendJSONString(b, k)
			b = append(b, ':')
			var ok bool
			if b, ok = appendValue(b, v[k], depth+1); !ok {
				return b, false
			}
		}
		return append(b, '}'), true
	}
	return b, false
}
