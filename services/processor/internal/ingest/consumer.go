package ingest

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/segmentio/kafka-go"
)

// Handler processes flushes. Handle returns nil when the messages' results
// are durable; an error (only when ctx ends) means nothing of the flush may
// be committed. Reset drops in-memory state; it is called after a failed
// Handle and whenever the partition assignment may have changed.
type Handler interface {
	Handle(ctx context.Context, msgs []kafka.Message) error
	Reset()
}

// Config configures the consumer.
type Config struct {
	// Brokers are the Kafka bootstrap addresses.
	Brokers []string
	// Topic is the topic consumed.
	Topic string
	// Group is the consumer group id.
	Group string
	// FlushRows flushes when this many messages are pending.
	FlushRows int
	// FlushInterval flushes when the oldest pending message is this old.
	FlushInterval time.Duration
	// MaxWait bounds how long a fetch waits for new data.
	MaxWait time.Duration
	// FinalFlushTimeout bounds the flush at the end of a generation.
	FinalFlushTimeout time.Duration
	// SessionTimeout is the group session timeout: how soon a dead member
	// loses its partitions.
	SessionTimeout time.Duration
	// RebalanceTimeout is how long the coordinator waits for members to
	// rejoin in a rebalance (the final flush must fit in it).
	RebalanceTimeout time.Duration
}

// Consumer is a consumer group member feeding a Handler.
type Consumer struct {
	cfg Config
	h   Handler
	m   *Metrics
	log *slog.Logger
}

// New returns a consumer; Run starts it.
func New(cfg Config, h Handler, m *Metrics, log *slog.Logger) *Consumer {
	return &Consumer{cfg: cfg, h: h, m: m, log: log}
}

// Run joins the group and consumes until ctx ends, then flushes, commits and
// leaves the group.
func (c *Consumer) Run(ctx context.Context) error {
	group, err := kafka.NewConsumerGroup(kafka.ConsumerGroupConfig{
		ID:                c.cfg.Group,
		Brokers:           c.cfg.Brokers,
		Topics:            []string{c.cfg.Topic},
		StartOffset:       kafka.FirstOffset,
		HeartbeatInterval: c.cfg.SessionTimeout / 6,
		SessionTimeout:    c.cfg.SessionTimeout,
		RebalanceTimeout:  c.cfg.RebalanceTimeout,
		JoinGroupBackoff:  time.Second,
		ErrorLogger: kafka.LoggerFunc(func(msg string, args ...any) {
			c.log.Warn("kafka group: " + fmt.Sprintf(msg, args...))
		}),
	})
	if err != nil {
		return fmt.Errorf("consumer group: %w", err)
	}
	for {
		gen, err := group.Next(ctx)
		if ctx.Err() != nil {
			// Close ends the current generation and waits for its final
			// flush and commit before leaving the group.
			_ = group.Close()
			return nil
		}
		if errors.Is(err, kafka.ErrGroupClosed) {
			return nil
		}
		if err != nil {
			c.log.Warn("kafka group generation failed; rejoining", "err", err)
			continue
		}
		gen.Start(func(gctx context.Context) { c.runGeneration(gctx, gen) })
	}
}

type partitionState struct {
	next int64 // offset after the last message of the flush
}

func (c *Consumer) runGeneration(gctx context.Context, gen *kafka.Generation) {
	assigned := gen.Assignments[c.cfg.Topic]
	c.h.Reset()
	c.m.Lag.Reset()
	ids := make([]int, len(assigned))
	for i, a := range assigned {
		ids[i] = a.ID
	}
	c.log.Info("partitions assigned", "generation", gen.ID, "member", gen.MemberID, "partitions", ids)

	rctx, stopReaders := context.WithCancel(gctx)
	in := make(chan kafka.Message, max(1024, c.cfg.FlushRows))
	// hwm is each partition's high-water mark as its reader last fetched
	// it: the lag of a flush counts from there, so messages fetched but
	// still waiting in the channel count as lag.
	hwm := make(map[int]*atomic.Int64, len(assigned))
	for _, a := range assigned {
		hwm[a.ID] = &atomic.Int64{}
	}
	var wg sync.WaitGroup
	for _, a := range assigned {
		wg.Go(func() { c.readPartition(rctx, a, in, hwm[a.ID]) })
	}
	b := &batcher{c: c, gen: gen, parts: map[int]*partitionState{}, hwm: hwm}
	timer := time.NewTimer(time.Hour)
	timer.Stop()
	for {
		select {
		case <-gctx.Done():
			stopReaders()
			wg.Wait()
			fctx, cancel := context.WithTimeout(context.Background(), c.cfg.FinalFlushTimeout)
			b.flush(fctx)
			cancel()
			c.h.Reset()
			return
		case m := <-in:
			if len(b.msgs) == 0 {
				timer.Reset(c.cfg.FlushInterval)
			}
			b.add(m)
			if len(b.msgs) >= c.cfg.FlushRows {
				timer.Stop()
				b.flush(gctx)
			}
		case <-timer.C:
			b.flush(gctx)
		}
	}
}

func (c *Consumer) readPartition(ctx context.Context, a kafka.PartitionAssignment, out chan<- kafka.Message, hwm *atomic.Int64) {
	r := kafka.NewReader(kafka.ReaderConfig{
		Brokers:   c.cfg.Brokers,
		Topic:     c.cfg.Topic,
		Partition: a.ID,
		MaxWait:   c.cfg.MaxWait,
		MinBytes:  1,
		MaxBytes:  16 << 20,
	})
	defer func() { _ = r.Close() }()
	if err := r.SetOffset(a.Offset); err != nil {
		c.log.Error("set offset", "partition", a.ID, "offset", a.Offset, "err", err)
		return
	}
	for {
		m, err := r.FetchMessage(ctx)
		if ctx.Err() != nil {
			return
		}
		if err != nil {
			c.log.Warn("fetch failed; retrying", "partition", a.ID, "err", err)
			select {
			case <-ctx.Done():
				return
			case <-time.After(time.Second):
			}
			continue
		}
		c.m.Consumed.Inc()
		if m.HighWaterMark > hwm.Load() { // this goroutine is the only writer
			hwm.Store(m.HighWaterMark)
		}
		select {
		case out <- m:
		case <-ctx.Done():
			return
		}
	}
}

// batcher holds the pending flush of one generation.
type batcher struct {
	c     *Consumer
	gen   *kafka.Generation
	msgs  []kafka.Message
	parts map[int]*partitionState
	hwm   map[int]*atomic.Int64
	dirty bool // the handler's state is ahead of ClickHouse
}

func (b *batcher) add(m kafka.Message) {
	b.msgs = append(b.msgs, m)
	p := b.parts[m.Partition]
	if p == nil {
		p = &partitionState{}
		b.parts[m.Partition] = p
	}
	p.next = m.Offset + 1
}

// flush hands the pending messages to the handler and commits their offsets
// when it succeeds. On failure the messages stay pending (the final flush
// of the generation retries them) and the handler is reset.
func (b *batcher) flush(ctx context.Context) {
	if len(b.msgs) == 0 {
		return
	}
	if b.dirty {
		b.c.h.Reset()
		b.dirty = false
	}
	if err := b.c.h.Handle(ctx, b.msgs); err != nil {
		b.dirty = true
		b.c.log.Warn("flush abandoned; offsets not committed", "messages", len(b.msgs), "err", err)
		return
	}
	offsets := map[int]int64{}
	for id, p := range b.parts {
		offsets[id] = p.next
		var hwm int64
		if h := b.hwm[id]; h != nil {
			hwm = h.Load()
		}
		b.c.m.Lag.WithLabelValues(strconv.Itoa(id)).Set(float64(max(0, hwm-p.next)))
	}
	if err := b.gen.CommitOffsets(map[string]map[int]int64{b.c.cfg.Topic: offsets}); err != nil {
		// The rows are written; the next owner replays them idempotently.
		b.c.log.Warn("commit offsets failed", "err", err)
	}
	b.msgs = b.msgs[:0]
}
