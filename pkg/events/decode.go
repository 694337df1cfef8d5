package events

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	gojson "github.com/goccy/go-json"
	"github.com/santhosh-tekuri/jsonschema/v6"
)

// Limits bound what a request may carry.
type Limits struct {
	// MaxEventBytes is the largest accepted event (Segment: 32 KB).
	MaxEventBytes int
	// MaxBatchBytes is the largest accepted request body (Segment: 500 KB).
	MaxBatchBytes int
}

// DefaultLimits are Segment's limits: 32 KB an event, 500 KB a batch.
func DefaultLimits() Limits { return Limits{MaxEventBytes: 32 << 10, MaxBatchBytes: 500 << 10} }

// Decoder decodes, validates and normalizes request bodies. The zero value is
// not usable: use NewDecoder.
type Decoder struct {
	Limits    Limits
	Validator *Validator
	// KeepClientTime disables clock-skew correction: timestamp stays the
	// client's originalTimestamp (Normalize).
	KeepClientTime bool
	// Time bounds an event's timestamp (TimeBounds); zero: unbounded.
	Time TimeBounds

	// reference turns the fast paths off (parseDoc, scanBatch, parseSingle
	// and the schema checks): tests compare both.
	reference bool
}

// NewDecoder returns a Decoder with the embedded schemas.
func NewDecoder(lim Limits) (*Decoder, error) {
	v, err := DefaultValidator()
	if err != nil {
		return nil, err
	}
	return &Decoder{Limits: lim, Validator: v}, nil
}

// Body is a decoded request: the write key and sentAt it carried and every
// event in order, each either valid or with its error.
type Body struct {
	WriteKey string
	SentAt   time.Time
	Items    []Item
}

// Item is one event of a request.
type Item struct {
	// Index is the event's position in the request (0 for a single event).
	Index int
	// Raw is the event as received.
	Raw json.RawMessage
	// Event is the decoded, normalized event; valid only when Err is nil.
	Event Event
	// Err is why the event was rejected.
	Err *FieldError
}

// batchBody is the body of /v1/batch and /v1/import.
type batchBody struct {
	Batch        []json.RawMessage `json:"batch"`
	SentAt       nullString        `json:"sentAt"`
	WriteKey     string            `json:"writeKey"`
	Context      json.RawMessage   `json:"context"`
	Integrations json.RawMessage   `json:"integrations"`
}

// DecodeBatch decodes a Segment batch body ({"batch": [...], "sentAt": ...}).
// An error means the whole body is refused (a *RequestError); otherwise each
// event is decoded on its own, and an invalid one never affects its
// neighbours. received is the collector's clock when the request arrived.
func (d *Decoder) DecodeBatch(body []byte, received time.Time) (*Body, error) {
	if err := d.checkBody(body); err != nil {
		return nil, err
	}
	var bb batchBody
	if sc, ok := scanBatch(body); ok && !d.reference {
		bb = batchBody{Batch: sc.items, SentAt: nullString(sc.sentAt), WriteKey: sc.writeKey, Context: sc.context, Integrations: sc.integrations}
	} else if err := json.Unmarshal(body, &bb); err != nil {
		return nil, &RequestError{Reason: ReasonFormat, Msg: "body: " + jsonMsg(err)}
	}
	if bb.Batch == nil {
		return nil, &RequestError{Reason: ReasonFormat, Msg: `body: "batch" (an array of events) is required`}
	}
	sentAt, err := parseTime(string(bb.SentAt))
	if err != nil {
		return nil, &RequestError{Reason: ReasonFormat, Msg: "sentAt: " + err.Error()}
	}
	shared, err := sharedFields(bb.Context, bb.Integrations)
	if err != nil {
		return nil, err
	}
	out := &Body{WriteKey: bb.WriteKey, SentAt: sentAt, Items: make([]Item, len(bb.Batch))}
	for i, raw := range bb.Batch {
		d.item(&out.Items[i], i, "batch["+strconv.Itoa(i)+"]", raw, "", sentAt, shared, received)
	}
	return out, nil
}

// IsBatchJSON tells a batch body ({"batch": [...]}) from NDJSON, as
// /v1/import needs: true when body is one JSON object whose "batch" (the
// key matched as encoding/json matches field names) is not null. A body
// that DecodeBatch reads in one pass is answered without a full decode.
func IsBatchJSON(body []byte) bool {
	t := bytes.TrimLeft(body, " \t\r\n")
	if len(t) == 0 || t[0] != '{' {
		return false
	}
	if _, ok := scanBatch(body); ok {
		return true
	}
	return isBatchJSONReference(body)
}

// isBatchJSONReference is IsBatchJSON with encoding/json alone.
func isBatchJSONReference(body []byte) bool {
	var probe struct {
		Batch json.RawMessage `json:"batch"`
	}
	return json.Unmarshal(body, &probe) == nil && probe.Batch != nil
}

// DecodeEvent decodes the body of a single-event endpoint (/v1/track,
// /v1/identify, ...). typ is the endpoint's type; it overrides a "type" in
// the body. An event-level problem is reported in the one Item, a body that
// is not a JSON object as a *RequestError.
func (d *Decoder) DecodeEvent(body []byte, typ Type, received time.Time) (*Body, error) {
	if err := d.checkBody(body); err != nil {
		return nil, err
	}
	// The body is parsed once: its document gives the head and the event.
	if doc, writeKey, sentAtRaw, ok := parseSingle(body); ok && !d.reference {
		sentAt, _ := parseTime(sentAtRaw) // a bad sentAt is reported by the item
		out := &Body{WriteKey: writeKey, SentAt: sentAt, Items: []Item{{Raw: body}}}
		if it := &out.Items[0]; d.sizeOK(it, "") {
			d.fromValue(it, "", doc, typ, sentAt, nil, received)
		}
		return out, nil
	}
	var head struct {
		WriteKey string     `json:"writeKey"`
		SentAt   nullString `json:"sentAt"`
	}
	if err := json.Unmarshal(body, &head); err != nil {
		return nil, &RequestError{Reason: ReasonFormat, Msg: "body: " + jsonMsg(err)}
	}
	sentAt, _ := parseTime(string(head.SentAt)) // a bad sentAt is reported by item
	out := &Body{WriteKey: head.WriteKey, SentAt: sentAt, Items: make([]Item, 1)}
	d.item(&out.Items[0], 0, "", body, typ, sentAt, nil, received)
	return out, nil
}

// parseSingle is the fast path of DecodeEvent: the body's document and the
// writeKey and sentAt that encoding/json would read from it. It reports
// false when it is not certain to agree with encoding/json (see parseDoc;
// keys that match writeKey or sentAt only case-insensitively; values of
// other types than string or null).
func parseSingle(body []byte) (doc map[string]any, writeKey, sentAt string, ok bool) {
	if !utf8.Valid(body) {
		return nil, "", "", false
	}
	v, ok := parseDoc(body)
	if !ok {
		return nil, "", "", false
	}
	m, ok := v.(map[string]any)
	if !ok {
		return nil, "", "", false
	}
	for k := range m {
		if !isASCII([]byte(k)) || (k != "writeKey" && strings.EqualFold(k, "writeKey")) || (k != "sentAt" && strings.EqualFold(k, "sentAt")) {
			return nil, "", "", false
		}
	}
	for _, f := range [...]struct {
		key string
		dst *string
	}{{"writeKey", &writeKey}, {"sentAt", &sentAt}} {
		switch v := m[f.key].(type) {
		case nil:
		case string:
			*f.dst = v
		default:
			return nil, "", "", false
		}
	}
	return m, writeKey, sentAt, true
}

// DecodeNDJSON decodes newline-delimited JSON events (one event per line,
// blank lines ignored), as accepted by /v1/import. Items are indexed by
// their position among the non-blank lines and named "line N".
func (d *Decoder) DecodeNDJSON(body []byte, received time.Time) (*Body, error) {
	if err := d.checkBody(body); err != nil {
		return nil, err
	}
	out := &Body{}
	line := 0
	for len(body) > 0 {
		line++
		var raw []byte
		if i := bytes.IndexByte(body, '\n'); i >= 0 {
			raw, body = body[:i], body[i+1:]
		} else {
			raw, body = body, nil
		}
		raw = bytes.TrimSpace(raw)
		if len(raw) == 0 {
			continue
		}
		idx := len(out.Items)
		out.Items = append(out.Items, Item{})
		d.item(&out.Items[idx], idx, "line "+strconv.Itoa(line), raw, "", time.Time{}, nil, received)
	}
	return out, nil
}

func (d *Decoder) checkBody(body []byte) error {
	if max := d.Limits.MaxBatchBytes; max > 0 && len(body) > max {
		return &RequestError{Reason: ReasonSize, Msg: fmt.Sprintf("body: %d bytes, limit %d", len(body), max)}
	}
	if len(bytes.TrimSpace(body)) == 0 {
		return &RequestError{Reason: ReasonFormat, Msg: "body: empty"}
	}
	return nil
}

// shared are batch-level context and integrations, merged into each event
// (the event's own keys win).
type shared struct {
	context, integrations map[string]any
}

func sharedFields(ctx, integ json.RawMessage) (*shared, error) {
	var s shared
	for _, f := range []struct {
		name string
		raw  json.RawMessage
		dst  *map[string]any
	}{{"context", ctx, &s.context}, {"integrations", integ, &s.integrations}} {
		if len(f.raw) == 0 || string(f.raw) == "null" {
			continue
		}
		v, err := jsonschema.UnmarshalJSON(bytes.NewReader(f.raw))
		m, ok := v.(map[string]any)
		if err != nil || !ok {
			return nil, &RequestError{Reason: ReasonFormat, Msg: f.name + ": must be an object"}
		}
		*f.dst = m
	}
	if s.context != nil {
		dropContextNulls(s.context)
	}
	if s.context == nil && s.integrations == nil {
		return nil, nil
	}
	return &s, nil
}

// item decodes, validates and normalizes one event.
// The result is written to it, a zero Item (in place: an Item is large).
func (d *Decoder) item(it *Item, idx int, at string, raw json.RawMessage, typ Type, sentAt time.Time, sh *shared, received time.Time) {
	it.Index, it.Raw = idx, raw
	if !d.sizeOK(it, at) {
		return
	}
	doc, err := decodeDoc(raw, !d.reference)
	var nr *numberRangeError
	if errors.As(err, &nr) {
		it.Err = fieldErr(ReasonSchema, at, nr.path, nr.Error())
		return
	}
	if err != nil {
		it.Err = fieldErr(ReasonFormat, at, "", "invalid JSON: "+jsonMsg(err))
		return
	}
	d.fromValue(it, at, doc, typ, sentAt, sh, received)
}

// sizeOK checks the event's size, setting it.Err when it is over the limit.
func (d *Decoder) sizeOK(it *Item, at string) bool {
	if max := d.Limits.MaxEventBytes; max > 0 && len(it.Raw) > max {
		it.Err = fieldErr(ReasonSize, at, "", fmt.Sprintf("event is %d bytes, limit %d", len(it.Raw), max))
		return false
	}
	return true
}

// fromValue validates and normalizes the decoded document of an event
// into it.
func (d *Decoder) fromValue(it *Item, at string, doc any, typ Type, sentAt time.Time, sh *shared, received time.Time) {
	m, ok := doc.(map[string]any)
	if !ok {
		it.Err = fieldErr(ReasonFormat, at, "", "must be a JSON object")
		return
	}
	dropNulls(m) // null is absent (Segment semantics), before the batch's fields fill gaps
	if typ != "" {
		m["type"] = string(typ)
	}
	if sh != nil {
		merge(m, "context", sh.context)
		merge(m, "integrations", sh.integrations)
	}
	if err := d.Validator.validate(m, !d.reference); err != nil {
		var fe *FieldError
		if errors.As(err, &fe) {
			fe.At = at
			it.Err = fe
		} else {
			it.Err = fieldErr(ReasonSchema, at, "", err.Error())
		}
		return
	}
	ev := &it.Event
	if fe := fromDoc(ev, m, at); fe != nil {
		it.Err = fe
		return
	}
	if typ != "" {
		ev.Type = typ
	}
	if !ev.SentAt.IsZero() {
		sentAt = ev.SentAt
	}
	Normalize(ev, received, sentAt, !d.KeepClientTime)
	corrected := !d.KeepClientTime && !sentAt.IsZero() && !ev.OriginalTimestamp.IsZero()
	if fe := d.Time.apply(ev, at, corrected); fe != nil {
		it.Err = fe
	}
}

// merge copies the keys of from into doc[key] that doc[key] does not have.
func merge(doc map[string]any, key string, from map[string]any) {
	if from == nil {
		return
	}
	own, _ := doc[key].(map[string]any)
	if own == nil {
		own = make(map[string]any, len(from))
	}
	for k, v := range from {
		if _, ok := own[k]; !ok {
			own[k] = v
		}
	}
	doc[key] = own
}

// parseTime parses an RFC 3339 time ("" is the zero time).
func parseTime(s string) (time.Time, error) {
	if s == "" {
		return time.Time{}, nil
	}
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return time.Time{}, errors.New("not RFC 3339")
	}
	return t.UTC(), nil
}

// Normalize sets the event's times. received is the collector clock at
// arrival; sentAt is the client clock when the SDK sent it (the event's own
// sentAt or its batch's).
//
//   - receivedAt = received.
//   - originalTimestamp = the client's originalTimestamp, else its timestamp.
//   - timestamp = receivedAt - (sentAt - originalTimestamp) when sentAt is
//     known and skew correction is on: the client's clock error cancels out;
//     else originalTimestamp; else receivedAt.
//
// Every time is UTC with millisecond precision.
func Normalize(ev *Event, received, sentAt time.Time, correctSkew bool) {
	ms := func(t time.Time) time.Time {
		if t.IsZero() {
			return t
		}
		return t.UTC().Truncate(time.Millisecond)
	}
	ev.ReceivedAt = ms(received)
	orig := ev.OriginalTimestamp
	if orig.IsZero() {
		orig = ev.Timestamp
	}
	ev.OriginalTimestamp = ms(orig)
	ev.SentAt = ms(sentAt)
	switch {
	case orig.IsZero():
		ev.Timestamp = ev.ReceivedAt
	case correctSkew && !sentAt.IsZero():
		ev.Timestamp = ms(received.Add(-sentAt.Sub(orig)))
	default:
		ev.Timestamp = ms(orig)
	}
}

// jsonMsg shortens encoding/json and jsonschema decode errors.
func jsonMsg(err error) string {
	var se *json.SyntaxError
	if errors.As(err, &se) {
		return fmt.Sprintf("%s (at byte %d)", se.Error(), se.Offset)
	}
	var te *json.UnmarshalTypeError
	if errors.As(err, &te) {
		f := te.Field
		if f == "" {
			f = "value"
		}
		return fmt.Sprintf("%s must be %s, not %s", f, te.Type, te.Value)
	}
	return err.Error()
}

// nullString is a string that may be JSON null.
type nullString string

func (s *nullString) UnmarshalJSON(b []byte) error {
	if string(b) == "null" {
		*s = ""
		return nil
	}
	var v string
	if err := json.Unmarshal(b, &v); err != nil {
		return err
	}
	*s = nullString(v)
	return nil
}

// decodeDoc decodes one JSON value into the generic form the schema
// validator takes (objects as map[string]any, numbers as json.Number). It
// uses goccy/go-json, about twice as fast as encoding/json here, and checks
// that nothing follows the value.
//
// Valid documents take parseDoc, which builds the same value faster.
func decodeDoc(raw []byte, fast bool) (any, error) {
	if !utf8.Valid(raw) {
		return nil, errors.New("not valid UTF-8")
	}
	if !fast {
		return decodeDocGoccy(raw)
	}
	if v, ok := parseDoc(raw); ok {
		return v, nil
	}
	return decodeDocGoccy(raw)
}

// decodeDocGoccy is decodeDoc with goccy/go-json, the reference for
// parseDoc and the path that reports why a document is invalid.
func decodeDocGoccy(raw []byte) (any, error) {
	dec := gojson.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, err
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, errors.New("unexpected data after the JSON value")
	}
	if err := checkExponents(v, ""); err != nil {
		return nil, err
	}
	return v, nil
}

// maxExponent bounds the decimal exponent written in a number literal.
// float64 spans about 1e-324 to 1e308, and the schema validator compares
// numbers as exact rationals, whose cost grows with the exponent: 1e-999999
// takes it tens of milliseconds, and 1e-99999999 made it panic. parseDoc
// leaves such documents to decodeDocGoccy, which refuses them here.
const maxExponent = 400

// exponentTooLarge reports whether the number literal s has an exponent
// beyond ±maxExponent.
func exponentTooLarge(s string) bool {
	i := strings.IndexAny(s, "eE")
	if i < 0 {
		return false
	}
	e := strings.TrimLeft(strings.TrimLeft(s[i+1:], "+-"), "0")
	if len(e) > 3 {
		return true
	}
	n, _ := strconv.Atoi(e)
	return n > maxExponent
}

// numberRangeError names the field whose number has a huge exponent.
type numberRangeError struct{ path string }

func (e *numberRangeError) Error() string {
	return fmt.Sprintf("number out of range (exponent beyond ±%d)", maxExponent)
}

// checkExponents walks a decoded document for number literals with huge
// exponents; path is the dotted path of v.
func checkExponents(v any, path string) error {
	switch x := v.(type) {
	case json.Number:
		if exponentTooLarge(string(x)) {
			return &numberRangeError{path: path}
		}
	case map[string]any:
		for _, k := range slices.Sorted(maps.Keys(x)) { // the first in key order, on every run
			p := k
			if path != "" {
				p = path + "." + k
			}
			if err := checkExponents(x[k], p); err != nil {
				return err
			}
		}
	case []any:
		for i, e := range x {
			if err := checkExponents(e, fmt.Sprintf("%s[%d]", path, i)); err != nil {
				return err
			}
		}
	}
	return nil
}
