package metrics

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestSum(t *testing.T) {
	text := `# HELP cem_processor_consumer_lag lag
# TYPE cem_processor_consumer_lag gauge
cem_processor_consumer_lag{partition="0"} 10
cem_processor_consumer_lag{partition="1"} 5.5
cem_processor_consumer_lag_other 100
# TYPE cem_processor_rows_written_total counter
cem_processor_rows_written_total{table="events",shard="a"} 42
cem_processor_rows_written_total{table="sessions",shard="a"} 7
cem_processor_rows_written_total{table="events_old",shard="a"} 1000
up 1
`
	for _, tc := range []struct {
		name   string
		labels map[string]string
		want   float64
	}{
		{"cem_processor_consumer_lag", nil, 15.5},
		{"cem_processor_rows_written_total", map[string]string{"table": "events"}, 42},
		{"cem_processor_rows_written_total", map[string]string{"table": "events", "shard": "b"}, 0},
		{"cem_processor_rows_written_total", map[string]string{"instance": "x"}, 0},
		{"up", nil, 1},
		{"missing", nil, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			page, err := parse(strings.NewReader(text))
			require.NoError(t, err)
			assert.InDelta(t, tc.want, page.Sum(tc.name, tc.labels), 1e-9)
		})
	}
	_, err := parse(strings.NewReader("not metrics {"))
	assert.Error(t, err)
}
