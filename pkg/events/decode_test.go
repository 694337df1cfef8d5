package events_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/cemhq/cem/pkg/events"
)

var received = time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC)

func decoder(t testing.TB) *events.Decoder {
	t.Helper()
	d, err := events.NewDecoder(events.DefaultLimits())
	require.NoError(t, err)
	return d
}

func TestDecodeAllTypes(t *testing.T) {
	d := decoder(t)
	tests := []struct {
		typ  events.Type
		body string
		want func(t *testing.T, ev events.Event)
	}{
		{events.TypeTrack, `{"userId":"u1","event":"Signed Up","properties":{"plan":"pro"}}`, func(t *testing.T, ev events.Event) {
			assert.Equal(t, "Signed Up", ev.Event)
			assert.JSONEq(t, `{"plan":"pro"}`, string(ev.Properties))
		}},
		{events.TypeIdentify, `{"anonymousId":"a1","userId":"u1","traits":{"email":"x@example.com"}}`, func(t *testing.T, ev events.Event) {
			assert.JSONEq(t, `{"email":"x@example.com"}`, string(ev.Traits))
		}},
		{events.TypePage, `{"anonymousId":"a1","name":"Home","context":{"page":{"path":"/","url":"https://x/"}}}`, func(t *testing.T, ev events.Event) {
			assert.Equal(t, "Home", ev.Name)
			assert.Equal(t, "/", ev.Context.Page.Path)
			assert.Equal(t, "web", ev.Channel())
		}},
		{events.TypeScreen, `{"anonymousId":"a1","name":"Cart"}`, func(t *testing.T, ev events.Event) {
			assert.Equal(t, "Cart", ev.DisplayName())
			assert.Equal(t, "app", ev.Channel())
		}},
		{events.TypeGroup, `{"userId":"u1","groupId":"acme","traits":{"name":"Acme"}}`, func(t *testing.T, ev events.Event) {
			assert.Equal(t, "acme", ev.GroupID)
		}},
		{events.TypeAlias, `{"userId":"u1","previousId":"a1"}`, func(t *testing.T, ev events.Event) {
			assert.Equal(t, "a1", ev.PreviousID)
		}},
	}
	for _, tt := range tests {
		t.Run(string(tt.typ), func(t *testing.T) {
			b, err := d.DecodeEvent([]byte(tt.body), tt.typ, received)
			require.NoError(t, err)
			require.Len(t, b.Items, 1)
			require.Nil(t, b.Items[0].Err)
			ev := b.Items[0].Event
			assert.Equal(t, tt.typ, ev.Type)
			assert.Equal(t, received, ev.Timestamp, "no client time: timestamp is receivedAt")
			tt.want(t, ev)
		})
	}
}

func TestDecodeEnvelopeRules(t *testing.T) {
	d := decoder(t)
	tests := []struct {
		name, body string
		typ        events.Type
		reason     events.Reason
		msg        string
	}{
		{"no id", `{"event":"X"}`, events.TypeTrack, events.ReasonSchema, "missing property 'userId'"},
		{"empty ids", `{"event":"X","userId":"","anonymousId":""}`, events.TypeTrack, events.ReasonSchema, "userId"},
		{"track without event", `{"userId":"u"}`, events.TypeTrack, events.ReasonSchema, "missing property 'event'"},
		{"alias without previousId", `{"userId":"u"}`, events.TypeAlias, events.ReasonSchema, "previousId"},
		{"group without groupId", `{"userId":"u"}`, events.TypeGroup, events.ReasonSchema, "groupId"},
		{"properties not object", `{"userId":"u","event":"X","properties":[1]}`, events.TypeTrack, events.ReasonSchema, "properties: got array, want null or object"},
		{"bad channel", `{"userId":"u","event":"X","context":{"channel":"pigeon"}}`, events.TypeTrack, events.ReasonSchema, "context.channel"},
		{"userId boolean", `{"userId":true,"event":"X"}`, events.TypeTrack, events.ReasonSchema, "userId: got boolean"},
		{"timestamp not RFC 3339", `{"userId":"u","event":"X","timestamp":"yesterday"}`, events.TypeTrack, events.ReasonFormat, "timestamp: not RFC 3339"},
		{"not JSON", `{"userId":`, events.TypeTrack, events.ReasonFormat, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b, err := d.DecodeEvent([]byte(tt.body), tt.typ, received)
			if tt.msg == "" {
				var re *events.RequestError
				require.ErrorAs(t, err, &re)
				assert.Equal(t, tt.reason, re.Reason)
				return
			}
			require.NoError(t, err)
			e := b.Items[0].Err
			require.NotNil(t, e, "event must be rejected")
			assert.Equal(t, tt.reason, e.Reason)
			assert.Contains(t, e.Error(), tt.msg)
		})
	}
}

func TestDecodeNumericUserID(t *testing.T) {
	b, err := decoder(t).DecodeEvent([]byte(`{"userId":12345,"event":"X"}`), events.TypeTrack, received)
	require.NoError(t, err)
	require.Nil(t, b.Items[0].Err)
	assert.Equal(t, "12345", b.Items[0].Event.UserID)
}

func TestDecodeBatchKeepsValidNeighbours(t *testing.T) {
	body := `{"writeKey":"k1","sentAt":"2026-05-01T11:59:59.000Z","batch":[
		{"type":"track","userId":"u1","event":"A","messageId":"m1"},
		{"type":"track","userId":"u1","event":"B","timestamp":"not a time","messageId":"m2"},
		{"type":"bogus","userId":"u1","messageId":"m3"},
		{"type":"track","userId":"u1","event":"NPS Submitted","properties":{"score":11},"messageId":"m4"},
		"just a string",
		{"type":"identify","anonymousId":"a1","userId":"u1","messageId":"m6"}
	]}`
	b, err := decoder(t).DecodeBatch([]byte(body), received)
	require.NoError(t, err)
	assert.Equal(t, "k1", b.WriteKey)
	require.Len(t, b.Items, 6)
	var ok []string
	for _, it := range b.Items {
		if it.Err == nil {
			ok = append(ok, it.Event.MessageID)
		}
	}
	assert.Equal(t, []string{"m1", "m6"}, ok)
	assert.Equal(t, "batch[1].timestamp: not RFC 3339", b.Items[1].Err.Error())
	assert.Equal(t, events.ReasonSchema, b.Items[2].Err.Reason)
	assert.Contains(t, b.Items[2].Err.Error(), "batch[2].type")
	assert.Contains(t, b.Items[3].Err.Error(), "batch[3].properties.score: maximum: got 11, want 10")
	assert.Equal(t, "batch[4]: must be a JSON object", b.Items[4].Err.Error())
	assert.Equal(t, 4, b.Items[4].Index)
}

func TestDecodeBatchBodyErrors(t *testing.T) {
	d := decoder(t)
	for _, tt := range []struct{ name, body, msg string }{
		{"malformed", `{"batch":[`, "body: unexpected end of JSON input"},
		{"no batch", `{"sentAt":"2026-05-01T11:59:59Z"}`, `"batch" (an array of events) is required`},
		{"batch not array", `{"batch":{}}`, "batch must be []json.RawMessage"},
		{"bad sentAt", `{"batch":[],"sentAt":"x"}`, "sentAt: not RFC 3339"},
		{"empty", ``, "body: empty"},
		{"context not object", `{"batch":[],"context":3}`, "context: must be an object"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			_, err := d.DecodeBatch([]byte(tt.body), received)
			var re *events.RequestError
			require.ErrorAs(t, err, &re)
			assert.Equal(t, events.ReasonFormat, re.Reason)
			assert.Contains(t, re.Error(), tt.msg)
		})
	}
}

func TestDecodeBatchMergesSharedContext(t *testing.T) {
	body := `{"context":{"channel":"email","locale":"de-DE"},"batch":[
		{"type":"track","userId":"u1","event":"A"},
		{"type":"track","userId":"u1","event":"B","context":{"channel":"phone"}}]}`
	b, err := decoder(t).DecodeBatch([]byte(body), received)
	require.NoError(t, err)
	require.Nil(t, b.Items[0].Err)
	assert.Equal(t, "email", b.Items[0].Event.Context.Channel)
	assert.Equal(t, "phone", b.Items[1].Event.Context.Channel, "the event's own key wins")
	assert.Equal(t, "de-DE", b.Items[1].Event.Context.Locale)
}

func TestSizeLimits(t *testing.T) {
	d, err := events.NewDecoder(events.Limits{MaxEventBytes: 200, MaxBatchBytes: 1000})
	require.NoError(t, err)
	big := fmt.Sprintf(`{"type":"track","userId":"u","event":"X","properties":{"s":%q}}`, strings.Repeat("x", 300))
	b, err := d.DecodeBatch([]byte(`{"batch":[`+big+`,{"type":"track","userId":"u","event":"Y"}]}`), received)
	require.NoError(t, err)
	require.NotNil(t, b.Items[0].Err)
	assert.Equal(t, events.ReasonSize, b.Items[0].Err.Reason)
	assert.Contains(t, b.Items[0].Err.Error(), "batch[0]: event is")
	assert.Nil(t, b.Items[1].Err, "the small neighbour is kept")

	_, err = d.DecodeBatch([]byte(`{"batch":[`+big+","+big+","+big+","+big+`]}`), received)
	var re *events.RequestError
	require.ErrorAs(t, err, &re)
	assert.Equal(t, events.ReasonSize, re.Reason)

	def := events.DefaultLimits()
	assert.Equal(t, 32*1024, def.MaxEventBytes)
	assert.Equal(t, 500*1024, def.MaxBatchBytes)
}

func TestSkewCorrection(t *testing.T) {
	d := decoder(t)
	// The client clock is 1 hour fast: it stamped the event 10 s before it
	// sent the batch; the collector received the batch at `received`.
	body := `{"sentAt":"2026-05-01T13:00:10.000Z","batch":[{"type":"track","userId":"u","event":"X","timestamp":"2026-05-01T13:00:00.123456Z"}]}`
	b, err := d.DecodeBatch([]byte(body), received)
	require.NoError(t, err)
	ev := b.Items[0].Event
	assert.Equal(t, received.Add(-10*time.Second+123*time.Millisecond), ev.Timestamp, "timestamp = receivedAt - (sentAt - originalTimestamp), ms precision")
	assert.Equal(t, time.Date(2026, 5, 1, 13, 0, 0, 123_000_000, time.UTC), ev.OriginalTimestamp, "the client's time is kept")
	assert.Equal(t, received, ev.ReceivedAt)

	// An event-level sentAt wins over the batch's; originalTimestamp wins over timestamp.
	body = `{"sentAt":"2026-05-01T13:00:10Z","batch":[{"type":"track","userId":"u","event":"X","originalTimestamp":"2026-05-01T11:59:00Z","timestamp":"2000-01-01T00:00:00Z","sentAt":"2026-05-01T12:00:00Z"}]}`
	b, err = d.DecodeBatch([]byte(body), received)
	require.NoError(t, err)
	assert.Equal(t, received.Add(-time.Minute), b.Items[0].Event.Timestamp)

	// Without sentAt (historical import), the client's time stays.
	b, err = d.DecodeNDJSON([]byte("{\"type\":\"track\",\"userId\":\"u\",\"event\":\"X\",\"timestamp\":\"2020-02-03T04:05:06.789Z\"}\n"), received)
	require.NoError(t, err)
	assert.Equal(t, time.Date(2020, 2, 3, 4, 5, 6, 789_000_000, time.UTC), b.Items[0].Event.Timestamp)

	// KeepClientTime turns correction off.
	d.KeepClientTime = true
	b, err = d.DecodeBatch([]byte(`{"sentAt":"2026-05-01T13:00:10Z","batch":[{"type":"track","userId":"u","event":"X","timestamp":"2026-05-01T13:00:00Z"}]}`), received)
	require.NoError(t, err)
	assert.Equal(t, time.Date(2026, 5, 1, 13, 0, 0, 0, time.UTC), b.Items[0].Event.Timestamp)
}

func TestDecodeNDJSON(t *testing.T) {
	body := "{\"type\":\"track\",\"userId\":\"u\",\"event\":\"A\"}\n\n  \n{bad\n{\"type\":\"page\",\"anonymousId\":\"a\"}"
	b, err := decoder(t).DecodeNDJSON([]byte(body), received)
	require.NoError(t, err)
	require.Len(t, b.Items, 3)
	assert.Nil(t, b.Items[0].Err)
	require.NotNil(t, b.Items[1].Err)
	assert.Contains(t, b.Items[1].Err.Error(), "line 4: invalid JSON")
	assert.Nil(t, b.Items[2].Err)
	assert.Equal(t, 2, b.Items[2].Index)
}

func TestContextExtraRoundTrip(t *testing.T) {
	b, err := decoder(t).DecodeEvent([]byte(`{"userId":"u","event":"X","context":{"ip":"1.2.3.4","traits":{"a":1},"custom":"y"}}`), events.TypeTrack, received)
	require.NoError(t, err)
	ev := b.Items[0].Event
	assert.Equal(t, "1.2.3.4", ev.Context.IP)
	assert.Len(t, ev.Context.Extra, 2)
	raw, err := json.Marshal(ev.Context)
	require.NoError(t, err)
	assert.JSONEq(t, `{"ip":"1.2.3.4","traits":{"a":1},"custom":"y"}`, string(raw))
}

func TestRequestErrorIsTyped(t *testing.T) {
	_, err := decoder(t).DecodeEvent([]byte(`[1,2]`), events.TypeTrack, received)
	var re *events.RequestError
	assert.True(t, errors.As(err, &re), "a JSON array body is refused as a whole: %v", err)
}

// TestHugeExponents: number literals with exponents far beyond float64 are
// refused with the field named, on every entry point, before the schema
// validator (whose exact rational comparison took tens of milliseconds for
// 1e-999999 and panicked on 1e-99999999).
func TestHugeExponents(t *testing.T) {
	d, err := events.NewDecoder(events.DefaultLimits())
	require.NoError(t, err)
	now := time.Now()
	for lit, want := range map[string]string{
		"1e-99999999": "properties.revenue: number out of range", "-1e-999999": "properties.revenue: number out of range",
		"2E+401": "value out of range", "-3.5e0999": "value out of range", // beyond float64: invalid JSON, as before
	} {
		ev := `{"type":"track","userId":"u","event":"Order Completed","properties":{"order_id":"o","revenue":` + lit + `}}`
		for name, decode := range map[string]func() (*events.Body, error){
			"event":  func() (*events.Body, error) { return d.DecodeEvent([]byte(ev), events.TypeTrack, now) },
			"batch":  func() (*events.Body, error) { return d.DecodeBatch([]byte(`{"batch":[`+ev+`]}`), now) },
			"ndjson": func() (*events.Body, error) { return d.DecodeNDJSON([]byte(ev+"\n"), now) },
		} {
			b, err := decode()
			require.NoError(t, err, "%s %s", name, lit)
			require.Len(t, b.Items, 1)
			require.NotNil(t, b.Items[0].Err, "%s %s", name, lit)
			assert.Contains(t, b.Items[0].Err.Error(), want, "%s %s", name, lit)
		}
	}
	// Exponents within range still validate as numbers.
	b, err := d.DecodeEvent([]byte(`{"type":"track","userId":"u","event":"Order Completed","properties":{"order_id":"o","revenue":1.5e2}}`), events.TypeTrack, now)
	require.NoError(t, err)
	assert.Nil(t, b.Items[0].Err)
}
