package events

import (
	"bytes"
	"encoding/json"
	"testing"
	"time"
)

// stdMarshal is the reference encoding: encoding/json of the wire struct.
func stdMarshal(ev *Event) ([]byte, error) {
	return json.Marshal(wireEvent{V: WireVersion, Event: ev})
}

func assertSameEncoding(t *testing.T, ev *Event) {
	t.Helper()
	if ev != nil {
		assertSameContext(t, &ev.Context)
	}
	want, wantErr := stdMarshal(ev)
	got, err := AppendMarshal([]byte("prefix"), ev)
	if (err != nil) != (wantErr != nil) {
		t.Fatalf("error %v, encoding/json %v", err, wantErr)
	}
	if err != nil {
		if err.Error() != wantErr.Error() {
			t.Fatalf("error %q, encoding/json %q", err, wantErr)
		}
		return
	}
	if !bytes.Equal(got, append([]byte("prefix"), want...)) {
		t.Fatalf("encoding differs\n got %s\nwant prefix%s", got, want)
	}
}

// assertSameContext checks AppendContext against json.Marshal.
func assertSameContext(t *testing.T, c *Context) {
	t.Helper()
	want, wantErr := json.Marshal(c)
	got, err := AppendContext([]byte("p"), c)
	if (err != nil) != (wantErr != nil) {
		t.Fatalf("context: error %v, encoding/json %v", err, wantErr)
	}
	if err == nil && !bytes.Equal(got, append([]byte("p"), want...)) {
		t.Fatalf("context encoding differs\n got %s\nwant p%s", got, want)
	}
	if err != nil && string(got) != "p" {
		t.Fatalf("context: on error dst is %q, want it unchanged", got)
	}
}

func TestAppendMarshalNil(t *testing.T) {
	assertSameEncoding(t, nil)
}

func TestAppendMarshalMatchesEncodingJSON(t *testing.T) {
	tests := appendMarshalEvents()
	for i := range tests {
		assertSameEncoding(t, &tests[i])
	}
}

// appendMarshalEvents are events at the edges of what appendWire writes
// itself (also seeds of the wire decoder's tests).
func appendMarshalEvents() []Event {
	ts := time.Date(2026, 5, 1, 12, 0, 0, 123_456_000, time.UTC)
	berlin := time.FixedZone("CET", 3600)
	return []Event{
		{},
		{Type: TypeTrack, MessageID: "m1", AnonymousID: "a1", UserID: "u1", Event: "Order Completed", Name: "n", Category: "c", GroupID: "g", PreviousID: "p",
			Properties: json.RawMessage(`{"order_id":"o1","revenue":10,"products":[{"a":1e3,"b":-0.5},null,true,false,"x"]}`),
			Traits:     json.RawMessage(`{}`), Integrations: json.RawMessage(`{"All":false}`),
			Context: Context{IP: "1.2.3.4", UserAgent: "UA <b>", Locale: "de", Timezone: "Europe/Berlin", Channel: "web",
				Page: &PageContext{Path: "/", Referrer: "r", Search: "?q", Title: "t", URL: "u"}, App: &AppContext{Name: "a", Version: "1", Build: "2", Namespace: "n"},
				Device: &DeviceContext{ID: "d", Manufacturer: "m", Model: "x", Name: "n", Type: "ios"}, OS: &OSContext{Name: "iOS", Version: "17"},
				Campaign: &Campaign{Name: "n", Source: "s", Medium: "m", Term: "t", Content: "c"}, Library: &LibraryContext{Name: "l", Version: "v"},
				Extra: map[string]json.RawMessage{"z": json.RawMessage(`1`), "a<": json.RawMessage(`"x"`), "nil": nil, "m": json.RawMessage(`{"k":[1,2]}`)}},
			Timestamp: ts, OriginalTimestamp: ts.Add(-time.Hour), SentAt: ts.Add(time.Second), ReceivedAt: ts.Add(2 * time.Second), Source: "web",
			Enrichment: Enrichment{IP: "1.2.3.4", Browser: "Chrome", BrowserVersion: "120", OS: "Windows", DeviceType: "desktop", Bot: true, MessageIDGenerated: true, ServerSource: true}},
		{Type: TypePage, MessageID: "\"quoted\" \\ back\n\t\r\b\f\x01 <>& \u2028\u2029 \xff\xfe é 😀", Context: Context{Page: &PageContext{}}},
		{Type: TypeTrack, Properties: json.RawMessage(` { "a" : 1 } `)},
		{Type: TypeTrack, Properties: json.RawMessage(`{"a":"<&>"}`)},
		{Type: TypeTrack, Properties: json.RawMessage("{\"a\":\"\u2028\"}")},
		{Type: TypeTrack, Properties: json.RawMessage(`{"a":`)},
		{Type: TypeTrack, Properties: json.RawMessage(`{"a":1} x`)},
		{Type: TypeTrack, Properties: json.RawMessage(`{"a":01}`)},
		{Type: TypeTrack, Properties: json.RawMessage(`"\u00e9\/\""`)},
		{Type: TypeTrack, Properties: json.RawMessage("\"\xff\"")},
		{Type: TypeTrack, Context: Context{Extra: map[string]json.RawMessage{"x": json.RawMessage(`[1, 2]`)}}},
		{Type: TypeTrack, Context: Context{Extra: map[string]json.RawMessage{"x": json.RawMessage(`[1,`)}}},
		{Type: TypeTrack, Context: Context{Extra: map[string]json.RawMessage{}}},
		{Type: TypeTrack, Context: Context{Channel: "web", Extra: map[string]json.RawMessage{"ip": json.RawMessage(`"dup"`)}}},
		{Type: TypeTrack, Timestamp: ts.In(berlin)},
		{Type: TypeTrack, Timestamp: time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC)},
		{Type: TypeTrack, Timestamp: time.Date(-1, 1, 1, 0, 0, 0, 0, time.UTC)},
		{Type: TypeTrack, Timestamp: time.Date(2026, 1, 1, 0, 0, 0, 0, time.FixedZone("x", 25*3600))},
		{Type: TypeTrack, Timestamp: time.Now()},
		{Type: TypeTrack, Timestamp: time.Unix(1, 0).UTC(), Enrichment: Enrichment{Bot: true}},
	}
}

// FuzzAppendMarshal checks that AppendMarshal writes exactly what
// encoding/json writes for events with arbitrary strings and raw fields.
func FuzzAppendMarshal(f *testing.F) {
	f.Add("m", "web", []byte(`{"a":1}`), []byte(`"x"`), int64(0))
	f.Add("\u2028<", "x\xff", []byte(` {"a" : [1, 2.5e-3]}`), []byte(`[`), int64(-62135596800))
	f.Fuzz(func(t *testing.T, s1, s2 string, raw1, raw2 []byte, sec int64) {
		ev := &Event{
			Type: TypeTrack, MessageID: s1, UserID: s2, Properties: raw1,
			Context:   Context{UserAgent: s2, Page: &PageContext{Title: s1}, Extra: map[string]json.RawMessage{s1: raw2}},
			Timestamp: time.Unix(sec, sec).UTC(), Enrichment: Enrichment{Browser: s2},
		}
		assertSameEncoding(t, ev)
		ev.Traits, ev.Context.Extra = raw2, nil
		assertSameEncoding(t, ev)
	})
}
