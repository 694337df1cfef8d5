package devkafka_test

import (
	"bytes"
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/segmentio/kafka-go"

	"github.com/cemhq/cem/pkg/devkafka"
)

// BenchmarkProduce measures what fsync before the acknowledgement costs:
// concurrent writers (as the collector's requests) produce batches of 100
// events of ~1 KB with acks=all through one shared writer (5 ms linger),
// to a broker with a data directory, with and without SyncWrites.
func BenchmarkProduce(b *testing.B) {
	for _, mode := range []struct {
		name   string
		noSync bool
	}{{"fsync", false}, {"pagecache", true}} {
		b.Run(mode.name, func(b *testing.B) {
			br, err := devkafka.Start(devkafka.Config{Addr: "127.0.0.1:0", DataDir: b.TempDir(), NoSync: mode.noSync})
			if err != nil {
				b.Fatal(err)
			}
			defer br.Close()
			w := &kafka.Writer{
				Addr: kafka.TCP(br.Addr()), Topic: "cem.events", Balancer: &kafka.Murmur2Balancer{},
				RequiredAcks: kafka.RequireAll, BatchTimeout: 5 * time.Millisecond, BatchSize: 2000, BatchBytes: 1 << 20,
			}
			defer w.Close()
			value := bytes.Repeat([]byte("x"), 1000)
			b.SetParallelism(8)
			b.ResetTimer()
			b.RunParallel(func(pb *testing.PB) {
				msgs := make([]kafka.Message, 100)
				for i := 0; pb.Next(); i++ {
					for j := range msgs {
						msgs[j] = kafka.Message{Key: fmt.Appendf(nil, "k%d-%d", i, j), Value: value}
					}
					if err := w.WriteMessages(context.Background(), msgs...); err != nil {
						b.Error(err)
						return
					}
				}
			})
			b.ReportMetric(float64(b.N*100)/b.Elapsed().Seconds(), "events/s")
		})
	}
}
