package baseline

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"
	"github.com/segmentio/kafka-go"

	"github.com/cemhq/cem/pkg/events"
	"github.com/cemhq/cem/services/loadgen/internal/chwrite"
)

// DrainOptions configure Drain.
type DrainOptions struct {
	Brokers []string
	// Topic. Default cem.events.
	Topic string
	// Events is how many records to drain; Drain returns when all are in
	// ClickHouse.
	Events int
	// BatchRows per insert. Default 50000 (the processor's flush size).
	BatchRows int
	// Database of the events table.
	Database string
	// Workers decode in parallel. Default 2.
	Workers int
}

// DrainResult is what Drain measured, from the first record fetched to the
// last insert acknowledged.
type DrainResult struct {
	Events  int     `json:"events"`
	Seconds float64 `json:"seconds"`
	EPS     float64 `json:"eps"`
	Inserts int     `json:"inserts"`
}

// Drain reads o.Events records of every partition of the topic from the
// start (no consumer group), decodes them with events.Unmarshal, maps them
// to events rows and inserts them with clickhouse-go in batches of
// o.BatchRows, one insert in flight while the next batch is decoded.
func Drain(ctx context.Context, conn driver.Conn, o DrainOptions) (*DrainResult, error) {
	if o.Topic == "" {
		o.Topic = "cem.events"
	}
	if o.BatchRows <= 0 {
		o.BatchRows = 50000
	}
	if o.Workers <= 0 {
		o.Workers = 2
	}
	dc, err := kafka.DialContext(ctx, "tcp", o.Brokers[0])
	if err != nil {
		return nil, fmt.Errorf("dial: %w", err)
	}
	parts, err := dc.ReadPartitions(o.Topic)
	_ = dc.Close()
	if err != nil {
		return nil, fmt.Errorf("partitions: %w", err)
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	msgs := make(chan []byte, 20000)
	var firstFetch atomic.Int64
	var wg sync.WaitGroup
	for _, p := range parts {
		r := kafka.NewReader(kafka.ReaderConfig{Brokers: o.Brokers, Topic: o.Topic, Partition: p.ID, MinBytes: 1, MaxBytes: 16 << 20, MaxWait: 100 * time.Millisecond})
		wg.Go(func() {
			defer r.Close()
			for {
				m, err := r.ReadMessage(ctx)
				if err != nil {
					return
				}
				firstFetch.CompareAndSwap(0, time.Now().UnixNano())
				select {
				case msgs <- m.Value:
				case <-ctx.Done():
					return
				}
			}
		})
	}
	defer func() {
		cancel()
		wg.Wait()
	}()

	inserts := make(chan *chwrite.Columnar, 1)
	insErr := make(chan error, 1)
	var done time.Time
	nIns := 0
	go func() {
		defer close(insErr)
		for c := range inserts {
			if err := chwrite.InsertEvents(ctx, conn, o.Database, c); err != nil {
				insErr <- err
				cancel()
				for range inserts {
				}
				return
			}
			nIns++
			done = time.Now()
		}
	}()
	// Decoders: each builds its own batches (decode and row mapping use
	// both cores, as the processor may).
	var budget atomic.Int64
	budget.Store(int64(o.Events))
	var dwg sync.WaitGroup
	for range max(1, o.Workers) {
		dwg.Go(func() {
			cur := chwrite.NewColumnar(o.BatchRows)
			for budget.Add(-1) >= 0 {
				var v []byte
				select {
				case v = <-msgs:
				case <-ctx.Done():
					return
				}
				if ev, err := events.Unmarshal(v); err == nil {
					cur.Add(&chwrite.Row{Event: &ev, CustomerID: ev.CustomerKey()})
				}
				if cur.Len() >= o.BatchRows {
					inserts <- cur
					cur = chwrite.NewColumnar(o.BatchRows)
				}
			}
			if cur.Len() > 0 {
				inserts <- cur
			}
		})
	}
	dwg.Wait()
	seen := o.Events
	loopErr := ctx.Err()
	close(inserts)
	if err := <-insErr; err != nil {
		return nil, err
	}
	if loopErr != nil {
		return nil, errors.Join(errors.New("drain interrupted"), loopErr)
	}
	el := done.Sub(time.Unix(0, firstFetch.Load()))
	return &DrainResult{Events: seen, Seconds: el.Seconds(), EPS: float64(seen) / el.Seconds(), Inserts: nIns}, nil
}
