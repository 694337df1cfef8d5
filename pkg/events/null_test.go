package events_test

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/cemhq/cem/pkg/events"
)

// A null id or context field is absent (Segment semantics): analytics.js
// sends "userId": null on every event before identify.
func TestNullIsAbsent(t *testing.T) {
	d := decoder(t)
	tests := []struct {
		name, body string
		want       func(t *testing.T, ev events.Event)
	}{
		{"userId", `{"type":"track","anonymousId":"a1","userId":null,"event":"Clicked"}`, func(t *testing.T, ev events.Event) {
			assert.Equal(t, "a1", ev.CustomerKey())
			assert.Empty(t, ev.UserID)
		}},
		{"anonymousId", `{"type":"track","anonymousId":null,"userId":"u1","event":"Clicked"}`, func(t *testing.T, ev events.Event) {
			assert.Equal(t, "u1", ev.CustomerKey())
		}},
		{"groupId and traits", `{"type":"identify","userId":"u1","groupId":null,"traits":{"email":null}}`, func(t *testing.T, ev events.Event) {
			assert.Empty(t, ev.GroupID)
			assert.JSONEq(t, `{"email":null}`, string(ev.Traits), "traits keep their nulls")
		}},
		{"messageId", `{"type":"track","userId":"u1","messageId":null,"event":"Clicked"}`, func(t *testing.T, ev events.Event) {
			assert.Empty(t, ev.MessageID)
		}},
		{"context fields", `{"type":"page","anonymousId":"a1","userId":null,"context":{"campaign":null,"ip":null,"userAgent":null,` +
			`"channel":null,"library":{"name":"analytics.js","version":null},"page":{"path":"/","referrer":null},"x":null}}`, func(t *testing.T, ev events.Event) {
			assert.Nil(t, ev.Context.Campaign)
			assert.Empty(t, ev.Context.IP)
			assert.Equal(t, "analytics.js", ev.Context.Library.Name)
			assert.Equal(t, "/", ev.Context.Page.Path)
			assert.NotContains(t, ev.Context.Extra, "x")
			assert.Equal(t, "web", ev.Channel())
		}},
		{"context", `{"type":"track","userId":"u1","event":"A","context":null,"properties":null,"timestamp":null}`, func(t *testing.T, ev events.Event) {
			assert.Equal(t, received, ev.Timestamp)
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b, err := d.DecodeBatch([]byte(`{"batch":[`+tt.body+`]}`), received)
			require.NoError(t, err)
			require.Nil(t, b.Items[0].Err)
			tt.want(t, b.Items[0].Event)
		})
	}
}

// A null that leaves a required field missing is reported as missing, not
// as a wrong type.
func TestNullRequiredFieldIsMissing(t *testing.T) {
	d := decoder(t)
	for body, want := range map[string]string{
		`{"type":"track","userId":null,"anonymousId":null,"event":"A"}`: "missing",
		`{"type":"alias","userId":"u1","previousId":null}`:              "previousId",
		`{"type":"track","userId":"u1","event":null}`:                   "event",
	} {
		b, err := d.DecodeBatch([]byte(`{"batch":[`+body+`]}`), received)
		require.NoError(t, err)
		require.NotNil(t, b.Items[0].Err, body)
		assert.Equal(t, events.ReasonSchema, b.Items[0].Err.Reason, body)
		assert.Contains(t, b.Items[0].Err.Error(), want, body)
		assert.NotContains(t, b.Items[0].Err.Error(), "null", body)
	}
}

// A null in an event's context does not hide the batch's context field.
func TestNullContextFieldTakesTheBatchValue(t *testing.T) {
	b, err := decoder(t).DecodeBatch([]byte(`{"context":{"channel":"phone","ip":null},"batch":[{"type":"track","userId":"u","event":"A","context":{"channel":null}}]}`), received)
	require.NoError(t, err)
	require.Nil(t, b.Items[0].Err)
	assert.Equal(t, "phone", b.Items[0].Event.Context.Channel)
	assert.Empty(t, b.Items[0].Event.Context.IP)
}
