package session

import (
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/cemhq/cem/services/processor/internal/recency"
)

func TestLRUOrderAndEvictions(t *testing.T) {
	var evicted []string
	l := newLRU(func(c *Customer) { evicted = append(evicted, c.Key) })
	keys := func() (out []string) {
		for c := l.Oldest(); c != nil; c = recency.Newer(c) {
			out = append(out, c.Key)
		}
		return out
	}
	for _, k := range []string{"a", "b", "c", "d"} {
		l.Add(&Customer{Key: k})
	}
	assert.Equal(t, []string{"a", "b", "c", "d"}, keys())
	_, ok := l.Get("a")
	assert.True(t, ok)
	_, _ = l.Peek("b") // Peek does not reorder
	assert.Equal(t, []string{"b", "c", "d", "a"}, keys())

	l.RemoveOldest()
	_, _ = l.Get("c") // now d is the oldest
	l.RemoveOldest()
	assert.Equal(t, []string{"b", "d"}, evicted)
	assert.Equal(t, []string{"a", "c"}, keys())

	replaced, _ := l.Peek("c")
	l.Add(&Customer{Key: "c"}) // replaces the held c: evicted, new one newest
	assert.Equal(t, []string{"b", "d", "c"}, evicted)
	assert.Equal(t, []string{"a", "c"}, keys())
	now, _ := l.Peek("c")
	assert.NotSame(t, replaced, now)
	assert.Equal(t, 2, l.Len())

	l.Purge()
	assert.Equal(t, []string{"b", "d", "c", "a", "c"}, evicted)
	assert.Zero(t, l.Len())
	assert.Nil(t, l.Oldest())
	l.Add(&Customer{Key: "e"})
	assert.Equal(t, []string{"e"}, keys())
}
