package events_test

import (
	"testing"
	"time"

	"github.com/cemhq/cem/pkg/events"
)

// FuzzDecode feeds arbitrary bodies to every decoder entry point: they must
// never panic, must either refuse the body or account for every item, and a
// valid item must have a type and a timestamp. scripts/test.sh runs it for a
// few seconds with -fuzz.
func FuzzDecode(f *testing.F) {
	for _, s := range []string{
		`{"batch":[{"type":"track","userId":"u","event":"A"}]}`,
		`{"batch":[{"type":"track","userId":"u","event":"NPS Submitted","properties":{"score":11}}],"sentAt":"2026-01-01T00:00:00Z"}`,
		`{"userId":1e400,"event":"x","timestamp":"2026-13-01T00:00:00Z"}`,
		`{"context":{"channel":"web"},"batch":[{"type":"page","anonymousId":"a","context":null}]}`,
		"{\"type\":\"track\",\"userId\":\"u\",\"event\":\"A\"}\n{\"x\":\xff}",
		`[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]`,
		`{"batch":[null, 1, "s", [], {"type":"alias","userId":"u","previousId":"p"}]}`,
	} {
		f.Add([]byte(s))
	}
	d, err := events.NewDecoder(events.Limits{MaxEventBytes: 4 << 10, MaxBatchBytes: 64 << 10})
	if err != nil {
		f.Fatal(err)
	}
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	f.Fuzz(func(t *testing.T, body []byte) {
		for _, decode := range []func() (*events.Body, error){
			func() (*events.Body, error) { return d.DecodeBatch(body, now) },
			func() (*events.Body, error) { return d.DecodeEvent(body, events.TypeTrack, now) },
			func() (*events.Body, error) { return d.DecodeNDJSON(body, now) },
		} {
			b, err := decode()
			if err != nil {
				if b != nil {
					t.Fatal("a refused body returns no items")
				}
				continue
			}
			for i, it := range b.Items {
				if it.Index != i {
					t.Fatalf("item %d has index %d", i, it.Index)
				}
				if it.Err != nil {
					if it.Err.Error() == "" || it.Err.Reason == "" {
						t.Fatalf("item %d: empty error", i)
					}
					continue
				}
				if !it.Event.Type.Valid() || it.Event.Timestamp.IsZero() || it.Event.CustomerKey() == "" {
					t.Fatalf("item %d accepted without type, timestamp or id: %+v", i, it.Event)
				}
				if _, err := events.Marshal(&it.Event); err != nil {
					t.Fatalf("item %d: accepted but not encodable: %v", i, err)
				}
			}
		}
	})
}

// FuzzWireUnmarshal feeds arbitrary Kafka record values to Unmarshal (the
// processor's decoder of records that may come from any producer): it must
// return an error or an event that re-encodes, never panic.
func FuzzWireUnmarshal(f *testing.F) {
	ev := events.Event{Type: events.TypeTrack, MessageID: "m", UserID: "u", Event: "A", Timestamp: time.Unix(1, 0).UTC(),
		Context: events.Context{Channel: "web", Page: &events.PageContext{Path: "/"}}}
	good, err := events.Marshal(&ev)
	if err != nil {
		f.Fatal(err)
	}
	for _, s := range [][]byte{good, []byte(`{"v":1,"context":{"page":null,"x":[1,{"y":"\u00e9"}]}}`), []byte(`{"v":1,"timestamp":"x"}`), []byte(`{"v":1,"properties":{`), []byte("\xff")} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		ev, err := events.Unmarshal(b)
		if err != nil {
			return
		}
		if _, err := events.Marshal(&ev); err != nil {
			t.Fatalf("decoded but not encodable: %v", err)
		}
	})
}
