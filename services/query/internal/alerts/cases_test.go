package alerts

import (
	"errors"
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/cemhq/cem/services/query/internal/apierr"
)

func TestCaseTransitions(t *testing.T) {
	for _, c := range []struct {
		state, owner string
		change       Change
		want, owner2 string
		status       int
	}{
		{"open", "", Change{Owner: "ann"}, "assigned", "ann", 0},
		{"open", "", Change{State: "contacted"}, "contacted", "", 0},
		{"open", "", Change{Note: "seen"}, "open", "", 0},
		{"assigned", "ann", Change{Owner: "bob"}, "assigned", "bob", 0},
		{"assigned", "ann", Change{State: "resolved"}, "resolved", "ann", 0},
		{"contacted", "ann", Change{State: "dismissed"}, "dismissed", "ann", 0},
		{"resolved", "ann", Change{State: "open"}, "open", "ann", 0},
		{"resolved", "ann", Change{Note: "customer wrote back"}, "resolved", "ann", 0},
		{"open", "", Change{State: "assigned"}, "", "", 400},
		{"open", "", Change{}, "", "", 400},
		{"open", "", Change{State: "lost"}, "", "", 400},
		{"contacted", "ann", Change{State: "assigned"}, "", "", 409},
		{"resolved", "ann", Change{State: "contacted"}, "", "", 409},
		{"dismissed", "ann", Change{Owner: "bob"}, "", "", 400},
	} {
		state, owner, err := apply(c.state, c.owner, c.change)
		if c.status != 0 {
			var ae *apierr.Error
			if assert.True(t, errors.As(err, &ae), "%+v", c) {
				assert.Equal(t, c.status, ae.Status, "%+v", c)
			}
			continue
		}
		assert.NoError(t, err, "%+v", c)
		assert.Equal(t, c.want, state, "%+v", c)
		assert.Equal(t, c.owner2, owner, "%+v", c)
	}
}
