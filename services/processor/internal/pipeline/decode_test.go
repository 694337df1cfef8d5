package pipeline

import (
	"bytes"
	"encoding/json"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/cemhq/cem/pkg/events"
	"github.com/cemhq/cem/pkg/record"
)

// A poison record of 2 MB becomes a DLQ record far below Kafka's 1 MB
// limit: raw cut and flagged, so the DLQ write does not fail and block the
// partition.
func TestPoisonRecordIsCapped(t *testing.T) {
	value := bytes.Repeat([]byte("\x01"), 2<<20)
	ev, f := decode(record.Record{Value: value}, time.Now())
	require.Nil(t, ev)
	require.NotNil(t, f)
	assert.Equal(t, events.ReasonDecode, f.Reason)
	assert.True(t, f.Truncated)
	assert.Equal(t, len(value), f.RawBytes)
	assert.Len(t, f.Raw, events.DefaultMaxRawBytes)
	b, err := json.Marshal(f)
	require.NoError(t, err)
	assert.Less(t, len(b), 1<<19)
}
