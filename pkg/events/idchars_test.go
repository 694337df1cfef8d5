package events_test

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/cemhq/cem/pkg/events"
)

// Ids and messageIds with control characters are refused per event, naming
// the field: a NUL byte ends a statement on current ClickHouse, so an id
// carrying one would fail every later query that binds it. Good neighbours in
// the same batch are kept.
func TestControlCharactersInIdsAreRefused(t *testing.T) {
	d := decoder(t)
	for field, body := range map[string]string{
		"anonymousId": `{"type":"track","anonymousId":"a\u0000b","event":"A"}`,
		"userId":      `{"type":"track","userId":"u\u001f1","event":"A"}`,
		"groupId":     `{"type":"group","userId":"u1","groupId":"g\u007f"}`,
		"previousId":  `{"type":"alias","userId":"u1","previousId":"p\n1"}`,
		"messageId":   `{"type":"track","userId":"u1","messageId":"m\u00001","event":"A"}`,
	} {
		b, err := d.DecodeBatch([]byte(`{"batch":[`+body+`,{"type":"track","userId":"ok","event":"A"}]}`), received)
		require.NoError(t, err, field)
		require.Len(t, b.Items, 2, field)
		require.NotNil(t, b.Items[0].Err, field)
		assert.Equal(t, events.ReasonSchema, b.Items[0].Err.Reason, field)
		assert.Contains(t, b.Items[0].Err.Error(), field, field)
		assert.Nil(t, b.Items[1].Err, "the good neighbour is kept")
	}
	// Unicode beyond the control range stays valid.
	b, err := d.DecodeBatch([]byte(`{"batch":[{"type":"track","userId":"Jürgen-😀","messageId":"é1","event":"A"}]}`), received)
	require.NoError(t, err)
	assert.Nil(t, b.Items[0].Err)
}
