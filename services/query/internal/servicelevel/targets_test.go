package servicelevel

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestParseTargets(t *testing.T) {
	tg, err := ParseTargets("phone=5m/24h, email = 24h/72h")
	require.NoError(t, err)
	assert.Equal(t, Target{5 * time.Minute, 24 * time.Hour}, tg.For("phone"))
	assert.Equal(t, Target{24 * time.Hour, 72 * time.Hour}, tg.For("email"))
	assert.Equal(t, DefaultTargets()["*"], tg.For("letter"), "unlisted channels use the default")
	for _, bad := range []string{"phone", "phone=5m", "phone=x/1h", "=1m/1h", "phone=-1m/1h"} {
		_, err := ParseTargets(bad)
		assert.Error(t, err, bad)
	}
}
