package journey

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestCursorRoundTrip(t *testing.T) {
	c := Cursor{TsMs: 1767225600123, EventID: "web:m'1", Desc: true}
	got, err := DecodeCursor(c.Encode())
	require.NoError(t, err)
	assert.Equal(t, c, *got)
	none, err := DecodeCursor("")
	require.NoError(t, err)
	assert.Nil(t, none)
	for _, bad := range []string{"%%%", "e30", "bm90IGpzb24"} { // invalid base64, {}, "not json"
		_, err := DecodeCursor(bad)
		assert.ErrorContains(t, err, "cursor", bad)
	}
}

func TestGroupSessions(t *testing.T) {
	g := group([]Event{
		{EventID: "1", SessionID: "a", TsMs: 1, Channel: "web"},
		{EventID: "2", SessionID: "a", TsMs: 2, Channel: "app"},
		{EventID: "3", SessionID: "b", TsMs: 3},
		{EventID: "4", SessionID: "a", TsMs: 4, Channel: "web"},
	})
	require.Len(t, g, 3, "consecutive runs of one session form a group")
	assert.Equal(t, []string{"web", "app"}, g[0].Channels)
	assert.Equal(t, int64(1), g[0].StartMs)
	assert.Equal(t, int64(2), g[0].EndMs)
	assert.Len(t, g[2].Events, 1)
}
