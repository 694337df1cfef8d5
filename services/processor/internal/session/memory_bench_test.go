package session

import (
	"context"
	"fmt"
	"log/slog"
	"runtime"
	"testing"
	"time"
	"unsafe"

	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/cemhq/cem/services/processor/internal/stage"
)

// emptyStore is a Querier over an empty events table.
type emptyStore struct{}

func (emptyStore) Query(context.Context, func(driver.Rows) error, string, ...any) error { return nil }
func (emptyStore) DB() string                                                           { return "db" }

// BenchmarkStateBytesPerKey feeds 100,000 keys with 2 events each (the
// issue's measurement) through the stage in flushes of 10,000 events, each
// key pointing into its own 1 KB record as the decoder's strings do, and
// reports the live heap per held key after GC (records and flush buffers
// gone) next to the stage's own estimate (Customer.Size).
func BenchmarkStateBytesPerKey(b *testing.B) {
	const keys, flush = 100000, 10000
	for range b.N {
		st, err := NewStage(Config{
			Rules:        Rules{Gap: 30 * time.Minute, MaxLength: 24 * time.Hour, Lateness: 30 * time.Minute},
			MaxCustomers: 1 << 30, MaxBytes: 1 << 40, IdleAfter: time.Hour,
		}, emptyStore{}, NewMetrics(prometheus.NewRegistry()), slog.New(slog.DiscardHandler))
		if err != nil {
			b.Fatal(err)
		}
		runtime.GC()
		var before runtime.MemStats
		runtime.ReadMemStats(&before)
		t0 := time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC).UnixMilli()
		for start := 0; start < keys; start += flush / 2 {
			batch := make([]*stage.Event, 0, flush)
			for k := start; k < start+flush/2; k++ {
				for i := range 2 {
					rec := fmt.Appendf(make([]byte, 0, 1024), "{\"anonymousId\":\"%08d-4b1e-9c3a-5f0e6d7c8b9a\",\"messageId\":\"m-%d-%d\"}", k, k, i)
					rec = rec[:cap(rec)]
					key := unsafe.String(&rec[15], 36) // a substring of the record, as the decoder returns
					ev := &stage.Event{ID: fmt.Sprintf("web:m-%d-%d", k, i), Key: key, CustomerID: key, TsMs: t0 + int64(i)*60000,
						Touchpoint: "web:/products/shoes", Channel: "web"}
					batch = append(batch, ev)
				}
			}
			if err := st.Load(context.Background(), batch); err != nil {
				b.Fatal(err)
			}
			for _, ev := range batch {
				_ = st.Process(ev)
			}
			st.Drain()
			st.Written()
		}
		runtime.GC()
		var after runtime.MemStats
		runtime.ReadMemStats(&after)
		b.ReportMetric(float64(after.HeapAlloc-before.HeapAlloc)/keys, "heap-B/key")
		b.ReportMetric(float64(st.bytes)/keys, "estimate-B/key")
		runtime.KeepAlive(st)
	}
}
