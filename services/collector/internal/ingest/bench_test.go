package ingest_test

import (
	"bytes"
	"context"
	"fmt"
	"github.com/cemhq/cem/pkg/record"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"syscall"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/cemhq/cem/pkg/events/eventstest"
	"github.com/cemhq/cem/services/collector/internal/ingest"
)

type nopSink struct{}

func (nopSink) Produce(context.Context, []record.Record) error    { return nil }
func (nopSink) DeadLetter(context.Context, []record.Record) error { return nil }

// BenchmarkBatch measures the request path (decode, validate, enrich,
// dedup, encode) with a sink that acknowledges at once. Reported per event.
func BenchmarkBatch(b *testing.B) {
	cfg := config()
	cfg.DedupSize = 1 << 20
	h, err := ingest.New(cfg, nopSink{}, nil, prometheus.NewRegistry(), slog.New(slog.DiscardHandler))
	if err != nil {
		b.Fatal(err)
	}
	mux := http.NewServeMux()
	h.Register(mux)
	const perBatch = 100
	bodies := make([][]byte, 64)
	for i := range bodies {
		bodies[i] = eventstest.Batch(perBatch, i)
	}
	b.ReportAllocs()
	b.SetBytes(int64(len(bodies[0])))
	cpu := startCPU()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		i := 0
		for pb.Next() {
			// A fresh messageId prefix per request so that dedup never short-cuts.
			body := bytes.Replace(bodies[i%len(bodies)], []byte(`"m-`), fmt.Appendf(nil, `"m%d-%p-`, i, pb), -1)
			i++
			r := httptest.NewRequest(http.MethodPost, "/v1/batch", bytes.NewReader(body))
			r.SetBasicAuth("k-web", "")
			w := httptest.NewRecorder()
			mux.ServeHTTP(w, r)
			if w.Code != http.StatusOK {
				b.Fatalf("status %d: %s", w.Code, w.Body.String())
			}
		}
	})
	b.StopTimer()
	b.ReportMetric(float64(b.N*perBatch)/b.Elapsed().Seconds(), "events/s")
	cpu.report(b, b.N*perBatch)
}

// BenchmarkDecodeOnlyBaseline is the floor the collector is compared with:
// read the body and JSON-decode every event, nothing else.
func BenchmarkDecodeOnlyBaseline(b *testing.B) {
	body := eventstest.Batch(100, 0)
	b.ReportAllocs()
	b.SetBytes(int64(len(body)))
	cpu := startCPU()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			raw, _ := io.ReadAll(bytes.NewReader(body))
			var v struct{ Batch []map[string]any }
			if err := jsonUnmarshal(raw, &v); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.ReportMetric(float64(b.N*100)/b.Elapsed().Seconds(), "events/s")
	cpu.report(b, b.N*100)
}

// cpuClock is the CPU time (user + system) of the process. On a machine
// shared with other work, CPU time per event is steadier than events/s.
type cpuClock time.Duration

func startCPU() cpuClock { return cpuClock(processCPU()) }

func processCPU() time.Duration {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// report adds the metric cpu-ns/event: process CPU time (every goroutine,
// the garbage collector's included) per event since startCPU.
func (c cpuClock) report(b *testing.B, events int) {
	b.ReportMetric(float64(processCPU()-time.Duration(c))/float64(events), "cpu-ns/event")
}
