package events_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/cemhq/cem/pkg/events"
)

func TestTimeBoundsClampOrRefuse(t *testing.T) {
	received := time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC)
	bounds := events.TimeBounds{MaxFuture: 24 * time.Hour, MaxPast: 10 * 365 * 24 * time.Hour}
	live, err := events.NewDecoder(events.DefaultLimits())
	require.NoError(t, err)
	live.Time = bounds
	imp, err := events.NewDecoder(events.DefaultLimits())
	require.NoError(t, err)
	imp.KeepClientTime, imp.Time = true, bounds
	imp.Time.Refuse = true

	body := `{"batch":[
		{"type":"track","userId":"u1","event":"Future","timestamp":"9999-12-31T23:59:59Z"},
		{"type":"track","userId":"u1","event":"Past","timestamp":"1900-01-01T00:00:00Z"},
		{"type":"track","userId":"u1","event":"Fine","timestamp":"2026-05-01T11:00:00Z"},
		{"type":"track","userId":"u1","event":"Sent late","originalTimestamp":"2026-05-03T12:00:00Z","sentAt":"2026-05-01T12:00:00Z"},
		{"type":"track","userId":"u1","event":"Old import","timestamp":"2019-02-02T00:00:00Z"}]}`

	b, err := live.DecodeBatch([]byte(body), received)
	require.NoError(t, err)
	want := []string{"future", "past", "", "future", ""}
	for i, it := range b.Items {
		require.Nil(t, it.Err, "live endpoints clamp, never refuse: %v", it.Err)
		assert.Equal(t, want[i], it.Event.Enrichment.TimeClamped, it.Event.Event)
		if want[i] != "" {
			assert.Equal(t, received, it.Event.Timestamp, "clamped to receivedAt")
			assert.NotEqual(t, received, it.Event.OriginalTimestamp, "the client's time is kept")
		}
	}
	assert.Equal(t, time.Date(9999, 12, 31, 23, 59, 59, 0, time.UTC), b.Items[0].Event.OriginalTimestamp)

	b, err = imp.DecodeBatch([]byte(body), received)
	require.NoError(t, err)
	for i, it := range b.Items {
		if i == 2 || i == 4 {
			assert.Nil(t, it.Err)
			continue
		}
		require.NotNil(t, it.Err, it.Raw)
		assert.Equal(t, events.ReasonTime, it.Err.Reason)
	}
	assert.Equal(t, "batch[0].timestamp: 9999-12-31T23:59:59Z is more than 24h0m0s in the future of the time it was received (2026-05-01T12:00:00Z)", b.Items[0].Err.Error())
	assert.Contains(t, b.Items[1].Err.Error(), "in the past")
}

// TestForgedSkewIsClamped: with sentAt, the timestamp is corrected by the
// client's clock error; an originalTimestamp after the request's sentAt
// (impossible on one clock) would put the event up to MaxFuture in the
// future. Beyond events.SentAtTolerance it is clamped to receivedAt.
func TestForgedSkewIsClamped(t *testing.T) {
	received := time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC)
	live, err := events.NewDecoder(events.DefaultLimits())
	require.NoError(t, err)
	live.Time = events.TimeBounds{MaxFuture: 24 * time.Hour, MaxPast: 10 * 365 * 24 * time.Hour}
	body := `{"sentAt":"2026-05-01T09:00:00Z","batch":[
		{"type":"track","userId":"u1","event":"Forged","originalTimestamp":"2026-05-02T08:00:00Z"},
		{"type":"track","userId":"u1","event":"Clock 3h behind","originalTimestamp":"2026-05-01T08:59:50Z"},
		{"type":"track","userId":"u1","event":"Rounding","originalTimestamp":"2026-05-01T09:00:02Z"},
		{"type":"track","userId":"u1","event":"Own sentAt","originalTimestamp":"2026-05-01T12:00:30Z","sentAt":"2026-05-01T12:00:00Z"}]}`
	b, err := live.DecodeBatch([]byte(body), received)
	require.NoError(t, err)
	want := []struct {
		ts      time.Time
		clamped string
	}{
		{received, "future"},
		{received.Add(-10 * time.Second), ""},
		{received.Add(2 * time.Second), ""},
		{received, "future"},
	}
	for i, it := range b.Items {
		require.Nil(t, it.Err)
		assert.Equal(t, want[i].ts, it.Event.Timestamp, it.Event.Event)
		assert.Equal(t, want[i].clamped, it.Event.Enrichment.TimeClamped, it.Event.Event)
	}
	assert.Equal(t, time.Date(2026, 5, 2, 8, 0, 0, 0, time.UTC), b.Items[0].Event.OriginalTimestamp, "the client's time is kept")
}
