package metrics

import (
	"bufio"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestParse(t *testing.T) {
	text := `# HELP cem_processor_consumer_lag lag
cem_processor_consumer_lag{partition="0"} 10
cem_processor_consumer_lag{partition="1"} 5.5
cem_processor_consumer_lag_other 100
cem_processor_rows_written_total{table="events"} 42
cem_processor_rows_written_total{table="sessions"} 7
up 1
`
	for _, tc := range []struct {
		name, match string
		want        float64
	}{
		{"cem_processor_consumer_lag", "", 15.5},
		{"cem_processor_rows_written_total", `table="events"`, 42},
		{"up", "", 1},
		{"missing", "", 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := parse(bufio.NewScanner(strings.NewReader(text)), tc.name, tc.match)
			require.NoError(t, err)
			assert.InDelta(t, tc.want, got, 1e-9)
		})
	}
}
