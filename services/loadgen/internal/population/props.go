package population

import (
	"encoding/json"
	"strconv"
)

// obj builds a JSON object with keys in insertion order (deterministic and
// far cheaper than marshalling a map).
type obj struct{ b []byte }

func newObj() *obj { return &obj{b: append(make([]byte, 0, 160), '{')} }

func (o *obj) key(k string) *obj {
	if len(o.b) > 1 {
		o.b = append(o.b, ',')
	}
	o.b = appendJSONString(o.b, k)
	o.b = append(o.b, ':')
	return o
}

func (o *obj) str(k, v string) *obj {
	o.key(k)
	o.b = appendJSONString(o.b, v)
	return o
}

func (o *obj) num(k string, v float64) *obj {
	o.key(k)
	o.b = strconv.AppendFloat(o.b, v, 'f', -1, 64)
	return o
}

func (o *obj) int(k string, v int) *obj {
	o.key(k)
	o.b = strconv.AppendInt(o.b, int64(v), 10)
	return o
}

func (o *obj) boolean(k string, v bool) *obj {
	o.key(k)
	o.b = strconv.AppendBool(o.b, v)
	return o
}

func (o *obj) raw(k string, v []byte) *obj {
	o.key(k)
	o.b = append(o.b, v...)
	return o
}

func (o *obj) done() json.RawMessage { return append(o.b, '}') }

// appendJSONString appends s as a JSON string; unlike strconv.AppendQuote
// it keeps non-ASCII UTF-8 as is and uses only JSON escapes.
func appendJSONString(b []byte, s string) []byte {
	b = append(b, '"')
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '"' || c == '\\':
			b = append(b, '\\', c)
		case c < 0x20:
			b = append(b, '\\', 'u', '0', '0', "0123456789abcdef"[c>>4], "0123456789abcdef"[c&15])
		default:
			b = append(b, c)
		}
	}
	return append(b, '"')
}
