package junkid_test

import (
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/cemhq/cem/pkg/junkid"
)

func TestSet(t *testing.T) {
	s := junkid.New("  Visitor ")
	for _, id := range []string{"", "  ", "null", "NULL", " undefined", "0", "-1", "Guest", "n/a", "visitor"} {
		assert.True(t, s.Is(id), "%q", id)
	}
	for _, id := range []string{"u-1", "00", "nullable", "jane@example.com"} {
		assert.False(t, s.Is(id), "%q", id)
	}
	var zero junkid.Set
	assert.True(t, zero.Is(""))
	assert.False(t, zero.Is("null"), "the zero value holds only the empty id")
	assert.Len(t, s.List(), len(junkid.Builtin)+1)
}
