package dlq

import (
	"encoding/json"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/cemhq/cem/pkg/events"
)

func TestOffsetsRoundTrip(t *testing.T) {
	path := filepath.Join(t.TempDir(), "offsets.json")
	none, err := LoadOffsets(path, "cem.events.dlq")
	require.NoError(t, err)
	assert.Empty(t, none, "a missing file is no progress yet")
	require.NoError(t, Offsets{0: 12, 3: 7}.Save(path, "cem.events.dlq"))
	got, err := LoadOffsets(path, "cem.events.dlq")
	require.NoError(t, err)
	assert.Equal(t, Offsets{0: 12, 3: 7}, got)
	_, err = LoadOffsets(path, "other.dlq")
	assert.ErrorContains(t, err, `saved for topic "cem.events.dlq"`)
}

func TestFilterAndUnreplayable(t *testing.T) {
	f := events.Failure{Stage: "collector", Reason: events.ReasonSchema, Source: "web"}
	assert.True(t, Filter{}.Match(f))
	assert.True(t, Filter{Stages: []string{"collector"}, Reasons: []string{"size", "schema"}, Sources: []string{"web"}}.Match(f))
	assert.False(t, Filter{Sources: []string{"app"}}.Match(f))
	assert.Equal(t, "", Unreplayable(f))
	assert.Equal(t, "suppressed", Unreplayable(events.Failure{Reason: events.ReasonSuppressed}))
	assert.Equal(t, "truncated", Unreplayable(events.Failure{Reason: events.ReasonSize, Truncated: true}))
}

func TestReplayEvent(t *testing.T) {
	at := time.Date(2026, 12, 5, 10, 0, 0, 0, time.UTC)
	raw := `{"type":"track","event":"A","timestamp":"2026-12-01T09:00:00Z","sentAt":"2026-12-01T09:05:00Z","writeKey":"[redacted]"}`
	out, err := ReplayEvent([]byte(raw), at)
	require.NoError(t, err)
	var m map[string]any
	require.NoError(t, json.Unmarshal(out, &m))
	assert.Equal(t, map[string]any{"type": "track", "event": "A", "timestamp": "2026-12-05T09:55:00Z"}, m,
		"the skew of the first receipt is applied (5 minutes), sentAt and the key dropped")

	out, err = ReplayEvent([]byte(`{"type":"track","event":"A","timestamp":"2026-12-01T09:00:00Z"}`), at)
	require.NoError(t, err)
	assert.JSONEq(t, `{"type":"track","event":"A","timestamp":"2026-12-01T09:00:00Z"}`, string(out), "no sentAt: time kept")

	_, err = ReplayEvent([]byte(`not json`), at)
	assert.Error(t, err)
}
