package app_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/cemhq/cem/pkg/chmigrate"
	"github.com/cemhq/cem/pkg/events"
	"github.com/cemhq/cem/pkg/itest"
	"github.com/cemhq/cem/services/processor/internal/sink"
	"github.com/cemhq/cem/services/processor/internal/stage"
	"github.com/cemhq/cem/services/processor/internal/timeline"
)

// benchEvents is the workload of both benchmarks: 100,000 events of 5,000
// customer keys.
func benchEvents() []*events.Event { return workload(newEvb("web"), 5000, 20) }

// BenchmarkProcessor measures events/s from Kafka into ClickHouse through
// the whole processor (decode, identities, sessions, events, commit) in
// steady state: the processor has joined its group and migrated before the
// clock starts (a warm-up event is committed first). Run with
// -benchtime=1x: each iteration processes the full workload.
func BenchmarkProcessor(b *testing.B) {
	evs := benchEvents()
	var total time.Duration
	for range b.N {
		b.StopTimer()
		e := newEnv(b)
		warm := newEvb("warmup").ev(events.TypeTrack, "warm-1", "", 0, named("Warm Up"))
		e.produce(warm)
		p := e.start(e.config("cem-processor"))
		itest.Eventually(b, time.Minute, func() bool { return e.committed("cem-processor") == 1 }, "warm-up committed")
		b.StartTimer()
		start := time.Now()
		for i := 0; i < len(evs); i += 5000 {
			e.produce(evs[i:min(i+5000, len(evs))]...)
		}
		itest.Eventually(b, 5*time.Minute, func() bool { return e.committed("cem-processor") == int64(len(evs))+1 }, "all committed")
		total += time.Since(start)
		b.StopTimer()
		p.stop(b)
		require.Equal(b, uint64(len(evs))+1, e.count("SELECT count() FROM {db}.events FINAL"))
	}
	b.ReportMetric(float64(len(evs)*b.N)/total.Seconds(), "events/s")
}

// BenchmarkBaselineInsert inserts the same events rows straight into
// ClickHouse with clickhouse-go in batches of 50,000 (the processor's flush
// size): the ceiling the processor is compared against.
func BenchmarkBaselineInsert(b *testing.B) {
	evs := benchEvents()
	var total time.Duration
	for range b.N {
		b.StopTimer()
		conn, _, db := itest.ClickHouse(b)
		require.NoError(b, chmigrate.Apply(context.Background(), conn, chmigrate.Options{Database: db}))
		rows := make([]*stage.Event, len(evs))
		for i, ev := range evs {
			rows[i] = stage.New(*ev, events.Reserved{}, 0, int64(i))
			rows[i].CustomerID, rows[i].SessionID = rows[i].Key, fmt.Sprint(i/20)
		}
		w := sink.NewWriter(conn, db, sink.Backoff{}, sink.NewMetrics(nil), nil)
		b.StartTimer()
		start := time.Now()
		for i := 0; i < len(rows); i += 50000 {
			require.NoError(b, w.Write(context.Background(), []sink.Block{timeline.Rows(rows[i:min(i+50000, len(rows))])}))
		}
		total += time.Since(start)
	}
	b.ReportMetric(float64(len(evs)*b.N)/total.Seconds(), "events/s")
}
