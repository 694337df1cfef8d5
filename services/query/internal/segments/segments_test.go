package segments

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

type fake struct{ name string }

func (f fake) Name() string        { return f.name }
func (f fake) Description() string { return "d" }
func (f fake) List(context.Context, Page) (*Members, error) {
	return &Members{}, nil
}

func TestRegistry(t *testing.T) {
	r, err := NewRegistry(fake{"sleepers"}, fake{"churn_high"})
	require.NoError(t, err)
	_, ok := r.Get("sleepers")
	assert.True(t, ok)
	assert.Equal(t, []Info{{"churn_high", "d", false}, {"sleepers", "d", false}}, r.List(), "fakes keep no history")
	_, err = NewRegistry(fake{"a"}, fake{"a"})
	assert.ErrorContains(t, err, "twice")
	_, err = NewRegistry(fake{"Bad Name"})
	assert.ErrorContains(t, err, "segment name")
}
