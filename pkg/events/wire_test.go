package events_test

import (
	"encoding/json"
	"io/fs"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/cemhq/cem/pkg/events"
	"github.com/cemhq/cem/schemas"
)

func TestWireRoundTrip(t *testing.T) {
	ts := time.Date(2026, 5, 1, 12, 0, 0, 123_000_000, time.UTC)
	ev := &events.Event{
		Type: events.TypeTrack, MessageID: "m1", AnonymousID: "a1", UserID: "u1", Event: "Order Completed",
		Properties: json.RawMessage(`{"order_id":"o1","revenue":10}`),
		Context:    events.Context{Channel: "web", Page: &events.PageContext{Path: "/"}, Extra: map[string]json.RawMessage{"custom": json.RawMessage(`"x"`)}},
		Timestamp:  ts, OriginalTimestamp: ts.Add(time.Hour), ReceivedAt: ts.Add(time.Second), Source: "web",
		Enrichment: events.Enrichment{IP: "1.2.3.4", Browser: "Chrome", Bot: true},
	}
	b, err := events.Marshal(ev)
	require.NoError(t, err)
	var head struct{ V int }
	require.NoError(t, json.Unmarshal(b, &head))
	assert.Equal(t, events.WireVersion, head.V)

	got, err := events.Unmarshal(b)
	require.NoError(t, err)
	assert.Equal(t, *ev, got)

	_, err = events.Unmarshal([]byte(`{"v":2,"type":"track"}`))
	assert.ErrorContains(t, err, "version 2")
	_, err = events.Unmarshal([]byte(`not json`))
	assert.Error(t, err)
}

func TestCustomerKey(t *testing.T) {
	assert.Equal(t, "a1", (&events.Event{AnonymousID: "a1", UserID: "u1"}).CustomerKey(), "anonymousId first: a device keeps one key across login")
	assert.Equal(t, "u1", (&events.Event{UserID: "u1"}).CustomerKey(), "server-side events have only a userId")
	assert.Equal(t, "", (&events.Event{}).CustomerKey())
}

func TestChannel(t *testing.T) {
	tests := []struct {
		ev   events.Event
		want string
	}{
		{events.Event{Context: events.Context{Channel: "Phone"}}, "phone"},
		{events.Event{Type: events.TypeScreen}, "app"},
		{events.Event{Type: events.TypeTrack, Context: events.Context{App: &events.AppContext{Name: "x"}}}, "app"},
		{events.Event{Type: events.TypePage}, "web"},
		{events.Event{Type: events.TypeTrack, Context: events.Context{UserAgent: "Mozilla/5.0"}}, "web"},
		{events.Event{Type: events.TypeTrack}, ""},
	}
	for _, tt := range tests {
		assert.Equal(t, tt.want, tt.ev.Channel())
	}
}

// Channels is the enum of context.channel in the envelope schema.
func TestChannelsMatchSchema(t *testing.T) {
	raw, err := fs.ReadFile(schemas.Events, "events/envelope.json")
	require.NoError(t, err)
	var doc struct {
		Defs map[string]struct {
			Properties struct {
				Context struct {
					Properties struct {
						Channel struct {
							Enum []string `json:"enum"`
						} `json:"channel"`
					} `json:"properties"`
				} `json:"context"`
			} `json:"properties"`
		} `json:"$defs"`
	}
	require.NoError(t, json.Unmarshal(raw, &doc))
	assert.Equal(t, doc.Defs["common"].Properties.Context.Properties.Channel.Enum, events.Channels)
	assert.True(t, events.IsChannel("phone"))
	assert.False(t, events.IsChannel("pigeon"))
}
