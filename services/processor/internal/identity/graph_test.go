package identity

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestGraph(t *testing.T) {
	g := NewGraph()

	m := g.Identify("anon-1", "u1", "identify")
	require.NotNil(t, m)
	assert.Equal(t, "u1", m.Customer)
	assert.Equal(t, []string{"anon-1"}, m.Moved)
	assert.Equal(t, []string{"u1"}, m.NewWinner, "the winner was never stored")
	assert.Equal(t, "u1", g.Customer("anon-1"))

	assert.Nil(t, g.Identify("anon-1", "u1", "track"), "already linked")

	m = g.Identify("anon-2", "u1", "identify")
	require.NotNil(t, m, "second device of the same user")
	assert.Empty(t, m.NewWinner)
	assert.Equal(t, "u1", g.Customer("anon-2"))

	assert.Nil(t, g.Identify("anon-1", "u2", "identify"), "a device of u1 never merges into another user")
	assert.Equal(t, "u1", g.Customer("anon-1"))
	assert.Equal(t, "u2", g.Customer("u2"))

	m = g.Alias("u1", "u-new")
	require.NotNil(t, m, "alias merges two users")
	assert.Equal(t, "u-new", m.Customer, "the new userId wins")
	assert.Equal(t, "u1", m.FromCustomer)
	assert.True(t, m.LoserStored)
	assert.ElementsMatch(t, []string{"u1", "anon-1", "anon-2"}, m.Moved)
	for _, id := range []string{"u1", "anon-1", "anon-2", "u-new"} {
		assert.Equal(t, "u-new", g.Customer(id), id)
	}
	assert.Equal(t, "unseen", g.Customer("unseen"))
}

func TestGraphTrimEvictsWholeClusters(t *testing.T) {
	g := NewGraph()
	g.Identify("a1", "u1", "identify")
	g.Identify("a2", "u2", "identify")
	g.Lookup("a2")
	g.Advance()  // the flush that used both is drained ...
	g.Written(1) // ... and written
	assert.Equal(t, 1, g.Len())
	_, ok := g.Lookup("a1")
	assert.False(t, ok, "evicted with its cluster")
	_, ok = g.Lookup("u1")
	assert.False(t, ok)
	c, ok := g.Lookup("a2")
	require.True(t, ok)
	assert.Equal(t, "u2", c.Canonical)
}

func TestGraphForget(t *testing.T) {
	g := NewGraph()
	g.Identify("a1", "u1", "identify")
	g.Forget("a1")
	for _, id := range []string{"a1", "u1"} {
		_, ok := g.Lookup(id)
		assert.False(t, ok, id)
	}
	assert.Equal(t, 0, g.Len())
}

// Clusters used by a flush that is not written yet stay, however far over
// the cap: a re-read from ClickHouse would miss that flush's rows.
func TestGraphWrittenKeepsPendingClusters(t *testing.T) {
	g := NewGraph()
	g.Identify("a1", "u1", "identify") // flush 1
	g.Advance()
	g.Identify("a2", "u2", "identify") // flush 2, in progress
	g.Written(0)                       // flush 1 written
	assert.Equal(t, 1, g.Len(), "flush 1's cluster evicted, flush 2's kept")
	_, ok := g.Peek("a2")
	assert.True(t, ok)
	g.Advance()
	g.Written(0) // flush 2 written
	assert.Zero(t, g.Len())
}
