package events

import (
	"bytes"
	"encoding/json"
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"
)

// wireRecords are events as the processor reads them from Kafka: what the
// collector writes for analytics.js and server-side calls (~0.5-1 KB
// each).
func wireRecords() map[string]*Event {
	ts := time.Date(2026, 5, 1, 12, 0, 0, 123_000_000, time.UTC)
	ua := "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36"
	enrich := Enrichment{IP: "203.0.113.7", Browser: "Chrome", BrowserVersion: "120.0.0.0", OS: "Windows", DeviceType: "desktop"}
	return map[string]*Event{
		"track": {
			Type: TypeTrack, MessageID: "ajs-next-1714564800123-4f1c2b7e-9d3a-4e8b-a1c5-6f7e8d9c0b1a", AnonymousID: "3f2c9e1a-7b4d-4c8e-9a2f-1e6d5c4b3a29",
			UserID: "user-48213", Event: "Order Completed",
			Properties: json.RawMessage(`{"order_id":"o-2026-0501-7781","total":184.7,"revenue":155.21,"shipping":9.9,"tax":29.49,"currency":"EUR","coupon":"SPRING10",` +
				`"products":[{"product_id":"p-1042","sku":"RS-42-BLK","name":"Running Shoe","price":89.9,"quantity":1,"category":"shoes"},` +
				`{"product_id":"p-2210","sku":"SK-3P","name":"Sport Socks (3 pairs)","price":12.5,"quantity":2,"category":"socks"}]}`),
			Context: Context{IP: "203.0.113.7", UserAgent: ua, Locale: "de-DE", Timezone: "Europe/Berlin", Channel: "web",
				Page:     &PageContext{Path: "/checkout/confirm", Referrer: "https://shop.example/cart", Title: "Thank you", URL: "https://shop.example/checkout/confirm?step=3", Search: "?step=3"},
				Campaign: &Campaign{Name: "spring", Source: "newsletter", Medium: "email", Content: "hero-banner"},
				Library:  &LibraryContext{Name: "analytics.js", Version: "next-1.66.0"},
				Extra:    map[string]json.RawMessage{"screen": json.RawMessage(`{"width":1920,"height":1080,"density":1}`)}},
			Timestamp: ts, OriginalTimestamp: ts.Add(-1500 * time.Millisecond), SentAt: ts.Add(-time.Second), ReceivedAt: ts.Add(40 * time.Millisecond),
			Source: "web", Enrichment: enrich,
		},
		"page": {
			Type: TypePage, MessageID: "ajs-next-1714564801456-0b1a2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d", AnonymousID: "3f2c9e1a-7b4d-4c8e-9a2f-1e6d5c4b3a29",
			Name: "Running Shoe", Category: "Product", Properties: json.RawMessage(`{"path":"/p/1042","url":"https://shop.example/p/1042","title":"Running Shoe","referrer":"https://www.google.com/"}`),
			Context: Context{IP: "203.0.113.7", UserAgent: ua, Locale: "de-DE", Timezone: "Europe/Berlin", Channel: "web",
				Page:    &PageContext{Path: "/p/1042", Referrer: "https://www.google.com/", Title: "Running Shoe", URL: "https://shop.example/p/1042"},
				Library: &LibraryContext{Name: "analytics.js", Version: "next-1.66.0"}},
			Timestamp: ts, OriginalTimestamp: ts.Add(-800 * time.Millisecond), SentAt: ts.Add(-500 * time.Millisecond), ReceivedAt: ts.Add(20 * time.Millisecond),
			Source: "web", Enrichment: enrich,
		},
		"identify": {
			Type: TypeIdentify, MessageID: "crm-5b0e7c2a-1d3f-4e6a-9b8c-7d6e5f4a3b2c", UserID: "user-48213",
			Traits: json.RawMessage(`{"email":"jana.k@example.com","firstName":"Jana","lastName":"Kowalski","plan":"premium","createdAt":"2024-02-11T09:30:00Z",` +
				`"address":{"city":"Berlin","postalCode":"10115","country":"DE"},"newsletter":true,"lifetimeValue":1284.5}`),
			Integrations: json.RawMessage(`{"All":true}`),
			Context:      Context{Channel: "support", Library: &LibraryContext{Name: "cem-go", Version: "0.9.0"}},
			Timestamp:    ts, ReceivedAt: ts.Add(5 * time.Millisecond),
			Source: "callcenter", Enrichment: Enrichment{IP: "10.0.4.2", ServerSource: true},
		},
	}
}

// BenchmarkUnmarshal is the processor's decode of one Kafka record.
func BenchmarkUnmarshal(b *testing.B) {
	for _, name := range []string{"track", "page", "identify"} {
		raw, err := Marshal(wireRecords()[name])
		if err != nil {
			b.Fatal(err)
		}
		b.Run(name, func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(int64(len(raw)))
			for b.Loop() {
				if _, err := Unmarshal(raw); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// unmarshalCase is a record and whether unmarshalFast must decode it.
type unmarshalCase struct {
	name string
	b    []byte
	fast bool
}

// unmarshalCases are AppendMarshal's output for wireRecords and
// appendMarshalEvents, each also with whitespace, in another key order
// and with escapes (all for the fast path), and records at the edges of
// what the fast path accepts.
func unmarshalCases(t testing.TB) []unmarshalCase {
	var cases []unmarshalCase
	add := func(name string, ev *Event) {
		b, err := AppendMarshal(nil, ev)
		if err != nil {
			return // not encodable (appendMarshalEvents has such events)
		}
		cases = append(cases,
			unmarshalCase{name, b, true},
			unmarshalCase{name + "/indented", indentJSON(t, b), true},
			unmarshalCase{name + "/spaced", spaceOut(b), true},
			unmarshalCase{name + "/sorted", sortKeys(t, b), true},
			unmarshalCase{name + "/escaped", escapeSome(b), true},
			// goccy matches struct keys by their raw bytes: an escaped
			// field name is left to it.
			unmarshalCase{name + "/escaped-key", bytes.Replace(b, []byte(`"type":`), []byte(`"typ\u0065":`), 1), false},
		)
	}
	for _, name := range []string{"track", "page", "identify"} {
		add(name, wireRecords()[name])
	}
	evs := appendMarshalEvents()
	for i := range evs {
		add(fmt.Sprint("appendMarshalEvents[", i, "]"), &evs[i])
	}
	for _, c := range []struct {
		b    string
		fast bool
	}{
		{`{"v":1}`, true},
		{" \t\r\n{ \"v\" :\t1 } \n", true},
		{`{"v":1,"type":"\u00e9\/\ud83d\ude00","context":{"\u0069p":"x","a\nb":[],"":{}},"properties":{"a":"\ud800"}}`, true},
		{"{\"v\":1,\"userId\":\"\xff\xfe\",\"context\":{\"\xff\":\"\xfe\"}}", true},
		{`{"v":1,"properties":null,"traits":[],"integrations":"x","context":{"x":null,"y": [1, 2] }}`, true},
		{`{"v":1,"timestamp":"2026-05-01T12:00:00+02:00","sentAt":"2026-05-01T12:00:00.123456789-00:30","receivedAt":"9999-12-31T23:59:59,5Z"}`, true},
		{`{"v":1,"enrichment":{},"context":{"page":{},"app":{},"device":{},"os":{},"campaign":{},"library":{}}}`, true},
		{`{"v":1,"enrichment":{"bot":false,"messageIdGenerated":true,"serverSource":false,"timeClamped":"future","ip":""}}`, true},
		{`{"v":1,"context":{"a":1,"b":2,"c":3,"d":4,"e":5,"f":6,"g":7,"h":8,"i":9,"j":10,"ip":"x","k":11}}`, true},
		{`{"v":1,"context":{"a":1,"b":2,"c":3,"d":4,"e":5,"f":6,"g":7,"h":8,"i":9,"j":10,"c":11}}`, false},
		{`{"v":1,"context":{"a":1,"b":2,"c":3,"d":4,"e":5,"f":6,"g":7,"h":8,"i":9,"j":10,"j":11}}`, false},
		{`{"v":1,"properties":{"a":1e400,"b":-0.0e-999,"c":12345678901234567890123},"traits":"\ud800"}`, true},
		{`{}`, false}, {`[]`, false}, {``, false}, {`null`, false}, {`{"v":1} x`, false}, {`{"v":1,}`, false}, {`{"v":1`, false},
		{`{"v":2}`, false}, {`{"v":1.0}`, false}, {`{"v":10}`, false}, {`{"v":-1}`, false}, {`{"v":"1"}`, false}, {`{"v":1e0}`, false},
		{`{"V":1}`, false}, {`{"v":1,"Type":"track"}`, false}, {`{"v":1,"x":1}`, false}, {`{"v":1,"v":1}`, false},
		{`{"v":1,"type":"a","type":"b"}`, false}, {`{"v":1,"type":null}`, false}, {`{"v":1,"type":1}`, false},
		{`{"v":1,"context":null}`, false}, {`{"v":1,"context":[]}`, false}, {`{"v":1,"context":{"page":null}}`, false},
		{`{"v":1,"context":{"page":{"Path":"/"}}}`, false}, {`{"v":1,"context":{"page":{"path":"/","path":"/"}}}`, false},
		{`{"v":1,"context":{"page":{"path":null}}}`, false}, {`{"v":1,"context":{"page":{"x":"/"}}}`, false},
		{`{"v":1,"context":{"x":1,"x":2}}`, false}, {`{"v":1,"context":{"ip":"a","\u0069p":"b"}}`, false},
		{`{"v":1,"context":{"x":1,"\u0078":2}}`, false}, {`{"v":1,"context":{"ip":null}}`, false}, {`{"v":1,"context":{"ip":1}}`, false},
		{`{"v":1,"context":{"x":[1,}}`, false}, {`{"v":1,"context":{"x":01}}`, false}, {`{"v":1,"properties":{"a":01}}`, false},
		{`{"v":1,"properties":{"a":"\x"}}`, false}, {"{\"v\":1,\"properties\":{\"a\":\"\x01\"}}", false},
		{`{"v":1,"properties":` + strings.Repeat("[", 300) + strings.Repeat("]", 300) + `}`, false},
		{`{"v":1,"messageId":"\ud800"}`, false}, {`{"v":1,"messageId":"\udc00\ud800"}`, false}, {`{"v":1,"messageId":"\ud800\u0041"}`, false},
		{`{"v":1,"context":{"\ud800":1}}`, false},
		{`{"v":1,"timestamp":null}`, false}, {`{"v":1,"timestamp":"2026-05-01 12:00:00Z"}`, false}, {`{"v":1,"timestamp":"2026-02-30T12:00:00Z"}`, false},
		{`{"v":1,"timestamp":"\u0032026-05-01T12:00:00Z"}`, false}, {`{"v":1,"timestamp":"2026-05-01T12:00:00Z","timestamp":"2026-05-01T12:00:00Z"}`, false},
		{`{"v":1,"timestamp":"10000-01-01T00:00:00Z"}`, false}, {`{"v":1,"timestamp":1}`, false},
		{`{"v":1,"enrichment":null}`, false}, {`{"v":1,"enrichment":{"bot":null}}`, false}, {`{"v":1,"enrichment":{"bot":1}}`, false},
		{`{"v":1,"enrichment":{"Bot":true}}`, false}, {`{"v":1,"enrichment":{"x":true}}`, false}, {`{"v":1,"enrichment":{"bot":true,"bot":false}}`, false},
	} {
		cases = append(cases, unmarshalCase{c.b, []byte(c.b), c.fast})
	}
	return cases
}

// indentJSON is b with a newline and indentation at every member.
func indentJSON(t testing.TB, b []byte) []byte {
	var buf bytes.Buffer
	if err := json.Indent(&buf, b, "", "\t"); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// spaceOut is b with every kind of JSON whitespace around its
// punctuation.
func spaceOut(b []byte) []byte {
	var out []byte
	in, esc := false, false
	for _, c := range b {
		switch {
		case in:
			switch {
			case esc:
				esc = false
			case c == '\\':
				esc = true
			case c == '"':
				in = false
			}
		case c == '"':
			in = true
		case strings.IndexByte("{}[],:", c) >= 0:
			out = append(out, " \t\n\r"...)
			out = append(out, c)
			out = append(out, "\r\n\t "...)
			continue
		}
		out = append(out, c)
	}
	return out
}

// sortKeys is b with the top-level and context keys in sorted order (v
// last instead of first).
func sortKeys(t testing.TB, b []byte) []byte {
	var m map[string]json.RawMessage
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	if c, ok := m["context"]; ok {
		var cm map[string]json.RawMessage
		if err := json.Unmarshal(c, &cm); err != nil {
			t.Fatal(err)
		}
		var err error
		if m["context"], err = json.Marshal(cm); err != nil {
			t.Fatal(err)
		}
	}
	out, err := json.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// escapeSome is b with escapes the encoder does not write: every / (only
// in strings) as \/, and some letters of values and of context keys as
// \u escapes.
func escapeSome(b []byte) []byte {
	b = bytes.ReplaceAll(b, []byte(`/`), []byte(`\/`))
	for _, r := range [][2]string{
		{`"track"`, `"tr\u0061ck"`}, {`"analytics.js"`, `"analytics\u002ejs"`}, {`"screen":`, `"scr\u0065en":`}, {`"page":`, `"p\u0061ge":`},
		{`"web"`, `"\u0077eb"`}, {`"Chrome"`, `"\u0043hr\u00f6me \ud83d\ude00"`},
	} {
		b = bytes.ReplaceAll(b, []byte(r[0]), []byte(r[1]))
	}
	return b
}

// assertUnmarshalMatches checks Unmarshal and unmarshalFast against
// unmarshalReference on b and reports whether unmarshalFast decoded it.
func assertUnmarshalMatches(t *testing.T, b []byte) bool {
	t.Helper()
	var want Event
	wantErr := unmarshalReference(bytes.Clone(b), &want)
	got, err := Unmarshal(bytes.Clone(b))
	// The errors are the reference's, but not always the same one: with
	// several mistyped context fields, Context.UnmarshalJSON reports the
	// first in map order.
	if (err == nil) != (wantErr == nil) || err != nil && !strings.HasPrefix(err.Error(), "wire event: ") || !reflect.DeepEqual(got, want) {
		t.Fatalf("%q: Unmarshal\n got %+v, %v\nwant %+v, %v", b, got, err, want, wantErr)
	}
	in := bytes.Clone(b)
	var fast Event
	ok := unmarshalFast(in, &fast)
	if !ok {
		return false
	}
	for i := range in {
		in[i] = 0 // nothing may point into the caller's bytes
	}
	if wantErr != nil {
		t.Fatalf("%q: unmarshalFast decoded what the reference refuses (%v): %+v", b, wantErr, fast)
	}
	if !reflect.DeepEqual(fast, want) {
		t.Fatalf("%q: unmarshalFast\n got %+v\nwant %+v", b, fast, want)
	}
	raws := []json.RawMessage{fast.Properties, fast.Traits, fast.Integrations}
	for _, raw := range fast.Context.Extra {
		raws = append(raws, raw)
	}
	for _, raw := range raws {
		if cap(raw) != len(raw) {
			t.Fatalf("%q: raw field %q has room to append into its neighbour", b, raw)
		}
	}
	return true
}

func TestUnmarshalMatchesReference(t *testing.T) {
	for _, c := range unmarshalCases(t) {
		if fast := assertUnmarshalMatches(t, c.b); fast != c.fast {
			t.Errorf("%s: fast path %v, want %v", c.name, fast, c.fast)
		}
	}
}

// Unmarshal decodes the encoder's records on its fast path (else the
// fast path would only cost time).
func TestUnmarshalTakesFastPath(t *testing.T) {
	var fast, slow int
	unmarshalHook = func(ok bool) {
		if ok {
			fast++
		} else {
			slow++
		}
	}
	defer func() { unmarshalHook = nil }()
	for _, c := range unmarshalCases(t) {
		fast, slow = 0, 0
		if _, err := Unmarshal(c.b); err != nil && c.fast {
			t.Fatalf("%s: %v", c.name, err)
		}
		if want := map[bool]int{true: fast, false: slow}[c.fast]; want != 1 || fast+slow != 1 {
			t.Errorf("%s: %d fast, %d slow decodes; want the fast path: %v", c.name, fast, slow, c.fast)
		}
	}
}

// The records round-trip: Unmarshal(Marshal(ev)) is ev.
func TestUnmarshalRoundTrip(t *testing.T) {
	for name, ev := range wireRecords() {
		b, err := Marshal(ev)
		if err != nil {
			t.Fatal(err)
		}
		got, err := Unmarshal(b)
		if err != nil || !reflect.DeepEqual(&got, ev) {
			t.Errorf("%s: got %+v, %v\nwant %+v", name, got, err, ev)
		}
	}
}

// FuzzUnmarshal compares Unmarshal's fast path with the reference
// decoder on arbitrary record values.
func FuzzUnmarshal(f *testing.F) {
	for _, c := range unmarshalCases(f) {
		f.Add(c.b)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		assertUnmarshalMatches(t, b)
	})
}
