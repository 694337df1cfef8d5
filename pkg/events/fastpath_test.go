package events

import (
	"bytes"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"
)

// fastPathSeeds are bodies for every decoder entry point: ordinary ones
// (fast paths) and ones at the edges of what the fast paths accept.
var fastPathSeeds = []string{
	`{"sentAt":"2026-05-01T12:00:01.000Z","batch":[{"type":"track","messageId":"m-1","anonymousId":"a","userId":"u","event":"Product Viewed",` +
		`"timestamp":"2026-05-01T12:00:00.001Z","properties":{"product_id":"p-1","name":"Shoe","price":89.9},` +
		`"context":{"library":{"name":"analytics.js","version":"5.2.0"},"page":{"path":"/p/1"},"userAgent":"Mozilla/5.0","locale":"de-DE","x":{"b":1,"a":[true,null]}}}]}`,
	`{"batch":[{"type":"track","userId":"u","event":"A"}]}`,
	`{"batch":[{"type":"track","userId":"u","event":"NPS Submitted","properties":{"score":11}}],"sentAt":"2026-01-01T00:00:00Z"}`,
	`{"batch":[{"type":"track","userId":"u","event":"NPS Submitted","properties":{"score":9.5,"comment":7}}]}`,
	`{"userId":1e400,"event":"x","timestamp":"2026-13-01T00:00:00Z"}`,
	`{"context":{"channel":"web"},"integrations":{"All":true},"batch":[{"type":"page","anonymousId":"a","context":null},{"type":"screen","anonymousId":"a","context":{"channel":"app"}}]}`,
	"{\"type\":\"track\",\"userId\":\"u\",\"event\":\"A\"}\n{\"x\":\xff}",
	`{"batch":[null, 1, "s", [], {"type":"alias","userId":"u","previousId":"p"}]}`,
	`{"Batch":[{"type":"track","userId":"u","event":"A"}]}`,
	`{"batch":[{"type":"track","userId":"u","event":"A"}],"batch":[]}`,
	`{"batch":null}`, `{"batch":{}}`, `{}`, `[]`, `{"batch":[]} x`, `{"batch":[],"sentAt":7}`, `{"batch":[],"writeKey":null,"sentAt":null}`,
	`{"batch":[{"type":"track","userId":"u","event":"A","messageId":"\ud800"}]}`,
	`{"batch":[{"type":"track","userId":"u","event":"A","n":01}]}`,
	`{"writeKey":"k","writekey":"j","userId":"u","event":"A"}`, `{"writeKey":"k","writeKey":null,"userId":"u","event":"A"}`,
	`{"writeKey":7,"userId":"u","event":"A"}`, `{"sentAt":"2026-01-01T00:00:00Z","userId":"u","event":"A","timestamp":"2025-12-31T23:59:00Z"}`,
	`{"sentAt":"yesterday","userId":"u","event":"A"}`, `{"userId":"u","event":"A","properties":{"a":"<&>\u2028"}}`,
	`{"userId":"u","event":"A","timestamp":"not a time","originalTimestamp":"2026-01-01T00:00:00Z"}`,
	`{"userId":"u","event":"A","context":{"page":{"path":1}}}`, `{"userId":"","anonymousId":""}`,
	`{"userId":"u","event":"` + strings.Repeat("x", 5000) + `"}`,
	`{"type":"track","userId":"u","event":"Order Completed","properties":{"order_id":"o","revenue":1e-99999999,"x":[1e-401]}}`,
	`{"context":{"ip":null,"page":{"path":null}},"batch":[{"type":"track","anonymousId":"a","userId":null,"groupId":null,"event":"A","channel":"web",` +
		`"context":{"campaign":null,"library":{"name":"analytics.js","version":null},"app":{"name":"x"}},"traits":{"a":null}},{"type":"alias","userId":"u","previousId":null}]}`,
	`{"userId":null,"anonymousId":"a","event":"A","context":{"page":null,"channel":null},"writeKey":null}`,
}

// TestFastPathsMatchReference decodes every seed with and without the
// fast paths: the results must be equal, errors included.
func TestFastPathsMatchReference(t *testing.T) {
	for _, s := range fastPathSeeds {
		assertFastPathsMatch(t, []byte(s))
	}
}

func FuzzFastPaths(f *testing.F) {
	for _, s := range fastPathSeeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		assertFastPathsMatch(t, body)
	})
}

func assertFastPathsMatch(t *testing.T, body []byte) {
	t.Helper()
	if bytes.HasPrefix(bytes.TrimLeft(body, " \t\r\n"), []byte("{")) && IsBatchJSON(body) != isBatchJSONReference(body) {
		t.Fatalf("%q: IsBatchJSON %v, reference %v", body, IsBatchJSON(body), isBatchJSONReference(body))
	}
	lim := Limits{MaxEventBytes: 4 << 10, MaxBatchBytes: 64 << 10}
	fast, err := NewDecoder(lim)
	if err != nil {
		t.Fatal(err)
	}
	ref := *fast
	ref.reference = true
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	for _, keep := range []bool{false, true} {
		fast.KeepClientTime, ref.KeepClientTime = keep, keep
		for name, decode := range map[string]func(d *Decoder) (*Body, error){
			"batch":  func(d *Decoder) (*Body, error) { return d.DecodeBatch(body, now) },
			"event":  func(d *Decoder) (*Body, error) { return d.DecodeEvent(body, TypeTrack, now) },
			"page":   func(d *Decoder) (*Body, error) { return d.DecodeEvent(body, TypePage, now) },
			"ndjson": func(d *Decoder) (*Body, error) { return d.DecodeNDJSON(body, now) },
		} {
			got, gotErr := decode(fast)
			want, wantErr := decode(&ref)
			if !reflect.DeepEqual(gotErr, wantErr) {
				t.Fatalf("%s %q: error %v, reference %v", name, body, gotErr, wantErr)
			}
			if got == nil || want == nil {
				if got != want {
					t.Fatalf("%s %q: body %v, reference %v", name, body, got, want)
				}
				continue
			}
			for _, b := range []*Body{got, want} {
				for i := range b.Items {
					if e := b.Items[i].Err; e != nil {
						// Several schema issues come in the library's map order.
						slices.SortFunc(e.Issues, func(a, b Issue) int { return strings.Compare(a.Field+a.Msg, b.Field+b.Msg) })
					}
				}
			}
			if !reflect.DeepEqual(got, want) {
				t.Fatalf("%s %q:\n got %+v\nwant %+v", name, body, got, want)
			}
		}
	}
}

// The fast paths serve ordinary bodies (else they would only cost time).
func TestFastPathsServeOrdinaryBodies(t *testing.T) {
	if _, ok := scanBatch([]byte(fastPathSeeds[0])); !ok {
		t.Error("scanBatch refused an SDK batch")
	}
	if _, _, _, ok := parseSingle([]byte(`{"writeKey":"k","userId":"u","event":"A","properties":{"x":[1,2]},"sentAt":"2026-01-01T00:00:00Z"}`)); !ok {
		t.Error("parseSingle refused a single event")
	}
}

// BenchmarkIsBatchJSON is /v1/import's probe of a 100-event batch body,
// with the one-pass scan and with encoding/json alone.
func BenchmarkIsBatchJSON(b *testing.B) {
	body := []byte(`{"batch":[` + strings.Repeat(fastPathSeeds[0][len(`{"sentAt":"2026-05-01T12:00:01.000Z","batch":[`):len(fastPathSeeds[0])-2]+",", 99) +
		`{"type":"track","userId":"u","event":"A"}]}`)
	for _, bb := range []struct {
		name string
		f    func([]byte) bool
	}{{"scan", IsBatchJSON}, {"encoding-json", isBatchJSONReference}} {
		b.Run(bb.name, func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(int64(len(body)))
			for b.Loop() {
				if !bb.f(body) {
					b.Fatal("not a batch")
				}
			}
		})
	}
}
