package recency

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

type item struct {
	Links[item]
	name string
}

func names(l *List[item, *item]) (out []string) {
	for x := l.Oldest(); x != nil; x = Newer(x) {
		out = append(out, x.name)
	}
	return out
}

func TestList(t *testing.T) {
	var l List[item, *item]
	a, b, c, d := &item{name: "a"}, &item{name: "b"}, &item{name: "c"}, &item{name: "d"}
	for _, x := range []*item{a, b, c, d} {
		l.Touch(x)
	}
	assert.Equal(t, []string{"a", "b", "c", "d"}, names(&l))
	l.Touch(a)
	l.Touch(a) // already the newest
	l.Touch(c)
	assert.Equal(t, []string{"b", "d", "a", "c"}, names(&l))
	assert.Equal(t, 4, l.Len())

	l.Remove(b) // the oldest
	l.Remove(c) // the newest
	l.Remove(c) // not in the list any more
	assert.Equal(t, []string{"d", "a"}, names(&l))
	assert.Equal(t, 2, l.Len())
	assert.Same(t, d, l.Oldest())

	l.Touch(b) // back in, as the newest
	var cleared []string
	l.Clear(func(x *item) { cleared = append(cleared, x.name) })
	assert.Equal(t, []string{"d", "a", "b"}, cleared)
	assert.Zero(t, l.Len())
	assert.Nil(t, l.Oldest())
	l.Touch(a) // links were reset: a is the only value
	assert.Equal(t, []string{"a"}, names(&l))
}

func TestGenerations(t *testing.T) {
	var l List[item, *item]
	a, b := &item{name: "a"}, &item{name: "b"}
	l.Touch(a) // generation 1
	l.Advance()
	l.Touch(b) // generation 2
	assert.True(t, l.Pending(a))
	assert.True(t, l.Pending(b))
	l.Complete() // 1 complete
	assert.False(t, l.Pending(a))
	assert.True(t, l.Pending(b))
	l.Touch(a) // used again by generation 2 (already the oldest, moved)
	assert.True(t, l.Pending(a))
	l.Touch(a) // and again while the newest
	l.Complete()
	assert.False(t, l.Pending(a))
	assert.False(t, l.Pending(b))
	l.Advance()
	l.Touch(b) // generation 3
	assert.True(t, l.Pending(b))
	l.Clear(nil) // drops the open generations
	l.Touch(a)
	assert.True(t, l.Pending(a), "a touch after Clear belongs to the new open generation")
	l.Complete()
	assert.False(t, l.Pending(a))
}
