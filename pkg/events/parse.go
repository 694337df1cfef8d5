package events

import (
	"encoding/json"
	"strconv"
	"strings"
	"unicode/utf16"
	"unicode/utf8"
)

// parseDoc is the fast path of decodeDoc: a strict JSON parser that builds
// the same generic value (objects as map[string]any, arrays as []any,
// numbers as json.Number) in one pass with fewer allocations. It reports
// false for anything it is not certain to decode exactly as decodeDoc's
// goccy/go-json path does (invalid JSON and its error message, duplicate
// keys, lone surrogates, numbers out of float64 range, very deep nesting):
// the caller then takes that path. raw must be valid UTF-8.
func parseDoc(raw []byte) (any, bool) {
	// One copy of the document as a string: unescaped strings and numbers
	// are substrings of it instead of an allocation each.
	p := parser{s: raw, src: string(raw)}
	p.ws()
	v, ok := p.value(0)
	if !ok {
		return nil, false
	}
	p.ws()
	return v, p.i == len(p.s)
}

type parser struct {
	s []byte
	// src is s as a string (parseDoc and unmarshalFast): strings without
	// escapes are its substrings.
	src string
	i   int
	// buf is scratch space for unescaping strings.
	buf []byte
}

// maxParseDepth bounds nesting; deeper documents take the slow path.
const maxParseDepth = 200

func (p *parser) ws() {
	for p.i < len(p.s) {
		switch p.s[p.i] {
		case ' ', '\t', '\n', '\r':
			p.i++
		default:
			return
		}
	}
}

func (p *parser) value(depth int) (any, bool) {
	if p.i >= len(p.s) || depth > maxParseDepth {
		return nil, false
	}
	switch c := p.s[p.i]; {
	case c == '{':
		return p.object(depth)
	case c == '[':
		return p.array(depth)
	case c == '"':
		s, ok := p.str()
		return s, ok
	case c == '-' || (c >= '0' && c <= '9'):
		return p.number()
	case c == 't':
		return true, p.lit("true")
	case c == 'f':
		return false, p.lit("false")
	case c == 'n':
		return nil, p.lit("null")
	}
	return nil, false
}

func (p *parser) lit(l string) bool {
	if len(p.s)-p.i < len(l) || string(p.s[p.i:p.i+len(l)]) != l {
		return false
	}
	p.i += len(l)
	return true
}

func (p *parser) object(depth int) (any, bool) {
	m := make(map[string]any)
	if p.open('}') {
		return m, true
	}
	for {
		if p.i >= len(p.s) || p.s[p.i] != '"' {
			return nil, false
		}
		k, ok := p.str()
		if !ok {
			return nil, false
		}
		if _, dup := m[k]; dup || !p.colon() {
			return nil, false
		}
		v, ok := p.value(depth + 1)
		if !ok {
			return nil, false
		}
		m[k] = v
		if more, ok := p.next('}'); !ok || !more {
			return okValue[any](m, ok)
		}
	}
}

// okValue is (v, true), or (nil, false) when !ok.
func okValue[T any](v T, ok bool) (T, bool) {
	if !ok {
		var zero T
		return zero, false
	}
	return v, true
}

// open moves past a container's opening byte at p.s[p.i] and the blanks
// after it, and past close too when the container is empty (reported).
func (p *parser) open(close byte) (empty bool) {
	p.i++
	p.ws()
	if p.i < len(p.s) && p.s[p.i] == close {
		p.i++
		return true
	}
	return false
}

// colon moves past the ':' after an object key and the blanks around it.
func (p *parser) colon() bool {
	p.ws()
	if p.i >= len(p.s) || p.s[p.i] != ':' {
		return false
	}
	p.i++
	p.ws()
	return true
}

// next moves past what follows a container's element: more after a ','
// (and the blanks after it), !more after close; !ok for anything else.
func (p *parser) next(close byte) (more, ok bool) {
	p.ws()
	if p.i >= len(p.s) {
		return false, false
	}
	switch p.s[p.i] {
	case ',':
		p.i++
		p.ws()
		return true, true
	case close:
		p.i++
		return false, true
	}
	return false, false
}

func (p *parser) array(depth int) (any, bool) {
	a := []any{}
	if p.open(']') {
		return a, true
	}
	for {
		v, ok := p.value(depth + 1)
		if !ok {
			return nil, false
		}
		a = append(a, v)
		if more, ok := p.next(']'); !ok || !more {
			return okValue[any](a, ok)
		}
	}
}

// str decodes the string at p.s[p.i] (a quote).
func (p *parser) str() (string, bool) {
	start := p.i + 1
	i := start
	for i < len(p.s) {
		c := p.s[i]
		if c == '"' {
			p.i = i + 1
			if p.src != "" {
				return p.src[start:i], true
			}
			return string(p.s[start:i]), true
		}
		if c == '\\' {
			return p.escapedStr(start)
		}
		if c < 0x20 {
			return "", false
		}
		i++
	}
	return "", false
}

// escapedStr decodes a string with escapes that starts at p.s[start].
func (p *parser) escapedStr(start int) (string, bool) {
	b := p.buf[:0]
	i := start
	for i < len(p.s) {
		c := p.s[i]
		switch {
		case c == '"':
			p.i = i + 1
			p.buf = b
			return string(b), true
		case c < 0x20:
			return "", false
		case c != '\\':
			b = append(b, c)
			i++
			continue
		}
		i++
		if i >= len(p.s) {
			return "", false
		}
		switch p.s[i] {
		case '"', '\\', '/':
			b = append(b, p.s[i])
		case 'b':
			b = append(b, '\b')
		case 'f':
			b = append(b, '\f')
		case 'n':
			b = append(b, '\n')
		case 'r':
			b = append(b, '\r')
		case 't':
			b = append(b, '\t')
		case 'u':
			r, ok := hex4(p.s, i+1)
			if !ok {
				return "", false
			}
			i += 4
			if utf16.IsSurrogate(r) {
				// Only a well-formed pair; goccy decides about the rest.
				if len(p.s)-i < 7 || p.s[i+1] != '\\' || p.s[i+2] != 'u' {
					return "", false
				}
				r2, ok := hex4(p.s, i+3)
				if !ok {
					return "", false
				}
				if r = utf16.DecodeRune(r, r2); r == utf8.RuneError {
					return "", false
				}
				i += 6
			}
			b = utf8.AppendRune(b, r)
		default:
			return "", false
		}
		i++
	}
	return "", false
}

func hex4(s []byte, i int) (rune, bool) {
	if len(s)-i < 4 {
		return 0, false
	}
	var r rune
	for _, c := range s[i : i+4] {
		switch {
		case c >= '0' && c <= '9':
			c -= '0'
		case c >= 'a' && c <= 'f':
			c -= 'a' - 10
		case c >= 'A' && c <= 'F':
			c -= 'A' - 10
		default:
			return 0, false
		}
		r = r<<4 | rune(c)
	}
	return r, true
}

func (p *parser) number() (any, bool) {
	end, ok := scanNumber(p.s, p.i)
	if !ok {
		return nil, false
	}
	var s string
	if p.src != "" {
		s = p.src[p.i:end]
	} else {
		s = string(p.s[p.i:end])
	}
	p.i = end
	// goccy/go-json refuses numbers out of float64 range, even as
	// json.Number; short plain numbers cannot be. Huge exponents are
	// refused by decodeDocGoccy, which says where.
	if len(s) > 15 || containsExp(s) {
		if _, err := strconv.ParseFloat(s, 64); err != nil || exponentTooLarge(s) {
			return nil, false
		}
	}
	return json.Number(s), true
}

func containsExp(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] == 'e' || s[i] == 'E' {
			return true
		}
	}
	return false
}

// batchScan is what DecodeBatch needs of a batch body.
type batchScan struct {
	items                 []json.RawMessage
	sentAt, writeKey      string
	context, integrations json.RawMessage
}

// scanBatch is the fast path of DecodeBatch's encoding/json decode of the
// body: one pass that checks the JSON and finds each event's bytes. It
// reports false for anything it is not certain to read exactly as
// encoding/json does (invalid UTF-8 or JSON, keys that differ from the
// field names only in case, escaped or repeated keys, a missing or null
// batch, unusual types): DecodeBatch then takes that path, which also
// words the errors.
func scanBatch(body []byte) (batchScan, bool) {
	var out batchScan
	if !utf8.Valid(body) {
		return out, false
	}
	p := parser{s: body} // no src: the few strings read are copied
	p.ws()
	if p.i >= len(p.s) || p.s[p.i] != '{' {
		return out, false
	}
	p.i++
	p.ws()
	var seen [5]bool
	sawBatch := false
	for first := true; ; first = false {
		if first && p.i < len(p.s) && p.s[p.i] == '}' {
			break
		}
		key, ok := p.plainKey()
		if !ok {
			return out, false
		}
		p.ws()
		if p.i >= len(p.s) || p.s[p.i] != ':' {
			return out, false
		}
		p.i++
		p.ws()
		field := -1
		for i, name := range [...]string{"batch", "sentAt", "writeKey", "context", "integrations"} {
			if string(key) == name {
				field = i
			} else if strings.EqualFold(string(key), name) {
				return out, false // encoding/json matches keys case-insensitively
			}
		}
		if field < 0 && !isASCII(key) {
			return out, false // and folds some non-ASCII letters to ASCII ones
		}
		if field >= 0 {
			if seen[field] {
				return out, false
			}
			seen[field] = true
		}
		start := p.i
		switch field {
		case 0:
			if p.i >= len(p.s) || p.s[p.i] != '[' {
				return out, false
			}
			if out.items, ok = p.elements(); !ok {
				return out, false
			}
			sawBatch = true
		case 1, 2:
			var s string
			switch {
			case p.i < len(p.s) && p.s[p.i] == '"':
				if s, ok = p.str(); !ok {
					return out, false
				}
			case p.lit("null"):
			default:
				return out, false
			}
			if field == 1 {
				out.sentAt = s
			} else {
				out.writeKey = s
			}
		default:
			if !p.skip(0) {
				return out, false
			}
			if field == 3 {
				out.context = p.s[start:p.i]
			} else if field == 4 {
				out.integrations = p.s[start:p.i]
			}
		}
		p.ws()
		if p.i >= len(p.s) {
			return out, false
		}
		if p.s[p.i] == '}' {
			break
		}
		if p.s[p.i] != ',' {
			return out, false
		}
		p.i++
		p.ws()
	}
	p.i++ // }
	p.ws()
	return out, sawBatch && p.i == len(p.s)
}

// plainKey reads an object key without escapes.
func (p *parser) plainKey() ([]byte, bool) {
	if p.i >= len(p.s) || p.s[p.i] != '"' {
		return nil, false
	}
	for i := p.i + 1; i < len(p.s); i++ {
		switch c := p.s[i]; {
		case c == '"':
			k := p.s[p.i+1 : i]
			p.i = i + 1
			return k, true
		case c == '\\' || c < 0x20:
			return nil, false
		}
	}
	return nil, false
}

// elements checks the array at p.s[p.i] and returns the bytes of each
// element (sub-slices of the body, as encoding/json's json.RawMessage
// would copy them).
func (p *parser) elements() ([]json.RawMessage, bool) {
	items := make([]json.RawMessage, 0, 128)
	if p.open(']') {
		return items, true
	}
	for {
		start := p.i
		if !p.skip(1) {
			return nil, false
		}
		items = append(items, p.s[start:p.i:p.i])
		if more, ok := p.next(']'); !ok || !more {
			return okValue(items, ok)
		}
	}
}

// skip checks the JSON value at p.s[p.i] and moves past it.
func (p *parser) skip(depth int) bool {
	if p.i >= len(p.s) || depth > maxParseDepth {
		return false
	}
	switch c := p.s[p.i]; {
	case c == '{':
		if p.open('}') {
			return true
		}
		for {
			if p.i >= len(p.s) || p.s[p.i] != '"' || !p.skipStr() || !p.colon() || !p.skip(depth+1) {
				return false
			}
			if more, ok := p.next('}'); !ok || !more {
				return ok
			}
		}
	case c == '[':
		if p.open(']') {
			return true
		}
		for {
			if !p.skip(depth + 1) {
				return false
			}
			if more, ok := p.next(']'); !ok || !more {
				return ok
			}
		}
	case c == '"':
		return p.skipStr()
	case c == '-' || (c >= '0' && c <= '9'):
		end, ok := scanNumber(p.s, p.i)
		p.i = end
		return ok
	case c == 't':
		return p.lit("true")
	case c == 'f':
		return p.lit("false")
	case c == 'n':
		return p.lit("null")
	}
	return false
}

// skipStr checks the string at p.s[p.i] (a quote) and moves past it.
func (p *parser) skipStr() bool {
	s := p.s
	for i := p.i + 1; i < len(s); i++ {
		switch c := s[i]; {
		case c == '"':
			p.i = i + 1
			return true
		case c < 0x20:
			return false
		case c == '\\':
			i++
			if i >= len(s) {
				return false
			}
			switch s[i] {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
			case 'u':
				if _, ok := hex4(s, i+1); !ok {
					return false
				}
				i += 4
			default:
				return false
			}
		}
	}
	return false
}

func isASCII(b []byte) bool {
	for _, c := range b {
		if c >= utf8.RuneSelf {
			return false
		}
	}
	return true
}
