package events

import (
	"bytes"
	"encoding/json"
	"strings"
	"unicode/utf8"
)

// Head is what a collector needs of a request body before it decodes the
// events: the write key the body carries and how many events it holds, so
// that it can refuse an unknown key or too many events, and reserve memory
// for the rest, at the cost of one pass over the bytes.
type Head struct {
	// WriteKey is the body's "writeKey" ("" when absent, null or not a
	// string: DecodeBatch and DecodeEvent read the same).
	WriteKey string
	// Events is the number of elements of "batch" (a batch body), 1 for a
	// single event, the non-blank lines of NDJSON.
	Events int
	// Batch: the body is one JSON object whose "batch" is not null (what
	// IsBatchJSON reports); /v1/import decodes it as a batch, else as NDJSON.
	Batch bool
}

// ReadHead reads the head of a body without decoding its events: the strict
// scanner checks the JSON and counts the batch elements allocating nothing
// per element; a body it is not certain to read as encoding/json does
// (escaped or case-variant keys, non-ASCII keys, a repeated member, very
// deep nesting) is read by encoding/json into a head of the same
// zero-sized elements. An error (a *RequestError) means the body is not one
// JSON object; ndjson reads such a body as lines instead (/v1/import).
func ReadHead(body []byte, ndjson bool) (Head, error) {
	h, ok := scanHead(body)
	if !ok {
		var err error
		if h, err = readHeadReference(body); err != nil {
			if ndjson {
				return Head{Events: countLines(body)}, nil
			}
			return Head{}, err
		}
	}
	if ndjson && !h.Batch {
		return Head{Events: countLines(body)}, nil
	}
	if !h.Batch {
		h.Events = 1
	}
	return h, nil
}

// countLines counts the non-blank lines (DecodeNDJSON's events).
func countLines(body []byte) int {
	n := 0
	for len(body) > 0 {
		line := body
		if i := bytes.IndexByte(body, '\n'); i >= 0 {
			line, body = body[:i], body[i+1:]
		} else {
			body = nil
		}
		if len(bytes.TrimSpace(line)) > 0 {
			n++
		}
	}
	return n
}

// scanHead is ReadHead's one pass; false when it is not certain.
func scanHead(body []byte) (Head, bool) {
	var h Head
	if !utf8.Valid(body) {
		return h, false
	}
	p := parser{s: body}
	p.ws()
	if p.i >= len(p.s) || p.s[p.i] != '{' {
		return h, false
	}
	seenKey, seenBatch := false, false
	if !p.open('}') {
		for {
			key, ok := p.plainKey()
			if !ok || !isASCII(key) || !p.colon() {
				return h, false
			}
			switch k := string(key); {
			case k == "writeKey":
				if seenKey {
					return h, false
				}
				seenKey = true
				if p.i < len(p.s) && p.s[p.i] == '"' {
					if h.WriteKey, ok = p.str(); !ok {
						return h, false
					}
				} else if !p.skip(0) {
					return h, false
				}
			case k == "batch":
				if seenBatch {
					return h, false
				}
				seenBatch = true
				if h.Batch, h.Events, ok = p.countElements(); !ok {
					return h, false
				}
			case strings.EqualFold(k, "writeKey") || strings.EqualFold(k, "batch"):
				return h, false // encoding/json matches keys case-insensitively
			default:
				if !p.skip(0) {
					return h, false
				}
			}
			if more, ok := p.next('}'); !ok {
				return h, false
			} else if !more {
				break
			}
		}
	}
	p.ws()
	return h, p.i == len(p.s)
}

// countElements checks the value at p.s[p.i] and counts its elements when
// it is an array (present: not null).
func (p *parser) countElements() (present bool, n int, ok bool) {
	if p.lit("null") {
		return false, 0, true
	}
	if p.i >= len(p.s) || p.s[p.i] != '[' {
		return true, 0, p.skip(0)
	}
	if p.open(']') {
		return true, 0, true
	}
	for {
		if !p.skip(1) {
			return true, 0, false
		}
		n++
		if more, ok := p.next(']'); !ok || !more {
			return true, n, ok
		}
	}
}

// readHeadReference is ReadHead with encoding/json alone.
func readHeadReference(body []byte) (Head, error) {
	var probe struct {
		WriteKey headKey   `json:"writeKey"`
		Batch    headArray `json:"batch"`
	}
	if err := json.Unmarshal(body, &probe); err != nil {
		return Head{}, &RequestError{Reason: ReasonFormat, Msg: "body: " + jsonMsg(err)}
	}
	return Head{WriteKey: string(probe.WriteKey), Events: probe.Batch.n, Batch: probe.Batch.present}, nil
}

// headKey is a writeKey as the decoders read it: a string, else "".
type headKey string

func (k *headKey) UnmarshalJSON(b []byte) error {
	var s string
	if json.Unmarshal(b, &s) == nil {
		*k = headKey(s)
	}
	return nil
}

// headArray counts the elements of an array without keeping them.
type headArray struct {
	present bool
	n       int
}

func (a *headArray) UnmarshalJSON(b []byte) error {
	if string(b) == "null" {
		return nil
	}
	a.present = true
	var elems []skipped
	if json.Unmarshal(b, &elems) == nil {
		a.n = len(elems)
	}
	return nil
}

// skipped is a JSON value read and dropped (zero-sized: a slice of them
// allocates nothing per element).
type skipped struct{}

func (*skipped) UnmarshalJSON([]byte) error { return nil }
