package ingest

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"strconv"
	"sync"
	"time"

	"github.com/segmentio/kafka-go"

	"github.com/cemhq/cem/pkg/record"
)

// Handler processes flushes. Handle returns nil when the records' results
// are durable (a Syncer: when the previous flush's are). An error while ctx is live is fatal (a permanent failure such
// as a rejected statement): the consumer stops without committing and Run
// returns it. An error after ctx ended means nothing of the flush may be
// committed. Reset drops in-memory state; it is called after a failed Handle
// and whenever the partition assignment may have changed.
type Handler interface {
	Handle(ctx context.Context, recs []record.Record) error
	Reset()
}

// Syncer is optional for a Handler whose Handle returns before the flush's
// results are durable, once the previous flush's are (a pipelined
// handler): the consumer commits a flush's offsets after the next Handle
// or after Sync, which makes the last flush durable. Sync's errors are
// Handle's.
type Syncer interface {
	Sync(ctx context.Context) error
}

// Config configures the consumer.
type Config struct {
	// Brokers are the Kafka bootstrap addresses.
	Brokers []string
	// Topic is the topic consumed.
	Topic string
	// Group is the consumer group id.
	Group string
	// FlushRows flushes when this many records are pending.
	FlushRows int
	// FlushInterval flushes when the oldest pending record is this old and
	// fewer than BusyRows records are pending.
	FlushInterval time.Duration
	// BusyRows and BusyInterval: a batch that holds BusyRows records or more
	// when its oldest is FlushInterval old waits until that record is
	// BusyInterval old (or FlushRows are pending). Each flush writes one
	// part per table, and ClickHouse's merge work grows with the parts, not
	// the rows: under load, fewer and larger flushes leave it the CPU that
	// many small ones would spend merging. A generation's first flush does
	// not wait: its keys' state is cold, and a smaller first flush restores
	// fewer of them before the first write after a restart or rebalance.
	// Zero BusyRows, or a BusyInterval not above FlushInterval, turns this
	// off.
	BusyRows     int
	BusyInterval time.Duration
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
	// ProbeInterval is how often the owned partitions' end offsets are read
	// from the broker, for the lag gauge and readiness (default 2s).
	ProbeInterval time.Duration
}

// Consumer is a consumer group member feeding a Handler.
type Consumer struct {
	cfg    Config
	h      Handler
	sync   Syncer // h's, when it is one
	m      *Metrics
	log    *slog.Logger
	health health
}

// New returns a consumer; Run starts it.
func New(cfg Config, h Handler, m *Metrics, log *slog.Logger) *Consumer {
	if cfg.ProbeInterval <= 0 {
		cfg.ProbeInterval = 2 * time.Second
	}
	c := &Consumer{cfg: cfg, h: h, m: m, log: log}
	c.sync, _ = h.(Syncer)
	c.health.set(nil, errors.New("not a member of the consumer group yet"))
	return c
}

// Run joins the group and consumes until ctx ends, then flushes, commits and
// leaves the group. It returns an error when the Handler fails permanently.
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
	// fatal ends Run with the Handler's permanent error.
	rctx, fatal := context.WithCancelCause(ctx)
	defer fatal(nil)
	for {
		gen, err := group.Next(rctx)
		if rctx.Err() != nil {
			// Close ends the current generation and waits for its final
			// flush and commit before leaving the group.
			_ = group.Close()
			c.health.set(nil, errors.New("left the consumer group"))
			if ctx.Err() == nil {
				return context.Cause(rctx)
			}
			return nil
		}
		if errors.Is(err, kafka.ErrGroupClosed) {
			return nil
		}
		if err != nil {
			c.health.set(nil, fmt.Errorf("join consumer group: %w", err))
			c.log.Warn("kafka group generation failed; rejoining", "err", err)
			continue
		}
		gen.Start(func(gctx context.Context) {
			if err := c.runGeneration(gctx, gen); err != nil {
				c.log.Error("flush failed permanently; stopping", "err", err)
				fatal(err)
			}
		})
	}
}

func (c *Consumer) runGeneration(gctx context.Context, gen *kafka.Generation) error {
	assigned := gen.Assignments[c.cfg.Topic]
	c.h.Reset()
	c.m.Lag.Reset()
	ids := make([]int, len(assigned))
	for i, a := range assigned {
		ids[i] = a.ID
	}
	c.log.Info("partitions assigned", "generation", gen.ID, "member", gen.MemberID, "partitions", ids)

	rctx, stopReaders := context.WithCancel(gctx)
	defer stopReaders()
	in := make(chan record.Record, max(1024, c.cfg.FlushRows))
	parts := make(map[int]*partition, len(assigned))
	for _, a := range assigned {
		p := &partition{}
		p.committed.Store(a.Offset)
		parts[a.ID] = p
	}
	var wg sync.WaitGroup
	wg.Go(func() { c.probe(rctx, parts) })
	for _, a := range assigned {
		wg.Go(func() { c.readPartition(rctx, a, in, parts[a.ID]) })
	}
	b := &batcher{c: c, gen: gen, parts: parts}
	timer := time.NewTimer(time.Hour)
	timer.Stop()
	var oldest time.Time // when the oldest pending record was taken
	flushed := false     // a flush of this generation has been started
	for {
		var err error
		select {
		case <-gctx.Done():
			stopReaders()
			wg.Wait()
			fctx, cancel := context.WithTimeout(context.Background(), c.cfg.FinalFlushTimeout)
			err = b.flush(fctx)
			if err == nil {
				err = b.sync(fctx)
			}
			cancel()
			c.h.Reset()
			c.health.set(nil, errors.New("generation ended; rejoining the consumer group"))
			if err != nil && !errors.Is(err, context.DeadlineExceeded) && !errors.Is(err, context.Canceled) {
				return err
			}
			return nil
		case r := <-in:
			if len(b.recs) == 0 {
				oldest = time.Now()
				timer.Reset(c.cfg.FlushInterval)
			}
			b.add(r)
			if len(b.recs) >= c.cfg.FlushRows {
				timer.Stop()
				c.m.Flushes.WithLabelValues("rows").Inc()
				flushed = true
				err = b.flush(gctx)
			}
		case <-timer.C:
			after, trigger := c.cfg.flushAfter(len(b.recs), flushed)
			if wait := after - time.Since(oldest); wait > 0 {
				timer.Reset(wait)
				continue
			}
			c.m.Flushes.WithLabelValues(trigger).Inc()
			flushed = true
			err = b.flush(gctx)
		}
		// A pipelined handler's last flush completes now unless more
		// records wait (their flush will overlap its writes).
		if err == nil && len(in) == 0 && len(b.recs) == 0 {
			err = b.sync(gctx)
		}
		if err != nil && gctx.Err() == nil {
			return err
		}
	}
}

// flushAfter is how old the oldest of n pending records may grow before
// they are flushed, and the trigger that names it in the flushes metric;
// warm is false until the generation's first flush.
func (cfg *Config) flushAfter(n int, warm bool) (time.Duration, string) {
	if warm && cfg.BusyRows > 0 && n >= cfg.BusyRows && cfg.BusyInterval > cfg.FlushInterval {
		return cfg.BusyInterval, "busy_interval"
	}
	return cfg.FlushInterval, "interval"
}

func (c *Consumer) readPartition(ctx context.Context, a kafka.PartitionAssignment, out chan<- record.Record, p *partition) {
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
		p.seen(m.HighWaterMark)
		select {
		case out <- record.FromMessage(m):
		case <-ctx.Done():
			return
		}
	}
}

// batcher holds the pending flush of one generation.
type batcher struct {
	c     *Consumer
	gen   *kafka.Generation
	recs  []record.Record
	next  map[int]int64 // partition -> offset after its last pending record
	parts map[int]*partition
	dirty bool // the handler's state is ahead of ClickHouse
	// handled are the offsets of the flush a pipelined handler has taken
	// but not yet made durable (nil when none).
	handled map[int]int64
	// lost is set when such a flush failed: its records are gone, so
	// nothing after them may be committed in this generation (the next
	// owner of the partitions replays them from the last commit).
	lost bool
}

func (b *batcher) add(r record.Record) {
	b.recs = append(b.recs, r)
	if b.next == nil {
		b.next = map[int]int64{}
	}
	b.next[r.Partition] = r.Offset + 1
}

// flush hands the pending records to the handler and commits their offsets
// when it succeeds. On failure the records stay pending (the final flush of
// the generation retries them) and the handler is reset; the error is
// returned.
func (b *batcher) flush(ctx context.Context) error {
	if len(b.recs) == 0 || b.lost {
		return nil
	}
	if b.dirty {
		// A flush taken before the failure may still complete (its writes
		// outlive a cancelled Load): commit it before its records are
		// replaced by the retry of the failed one.
		if err := b.sync(ctx); err != nil {
			return err
		}
		b.c.h.Reset()
		b.dirty = false
	}
	if err := b.c.h.Handle(ctx, b.recs); err != nil {
		b.abandon(err)
		return err
	}
	offsets := maps.Clone(b.next)
	clear(b.next)
	clear(b.recs) // the records' memory is the handler's now
	b.recs = b.recs[:0]
	if b.c.sync == nil {
		b.commit(offsets)
		return nil
	}
	// The previous flush is durable now; this one once the next Handle or
	// sync returns.
	if b.handled != nil {
		b.commit(b.handled)
	}
	b.handled = offsets
	return nil
}

// sync makes a pipelined handler's last flush durable and commits it.
func (b *batcher) sync(ctx context.Context) error {
	if b.handled == nil || b.lost {
		return nil
	}
	if err := b.c.sync.Sync(ctx); err != nil {
		// The flush's records are gone: nothing after them may be
		// committed in this generation (the next owner replays them).
		b.dirty, b.lost, b.handled = true, true, nil
		b.c.log.Warn("flush failed after its writes started; nothing more is committed in this generation", "err", err)
		return err
	}
	b.commit(b.handled)
	b.handled = nil
	return nil
}

// abandon marks the handler's state as ahead of ClickHouse after a failed
// Handle: the pending records stay for a retry, and the next flush first
// completes the flush taken before (if its writes succeed), then resets.
func (b *batcher) abandon(err error) {
	b.dirty = true
	b.c.log.Warn("flush abandoned; offsets not committed", "records", len(b.recs), "err", err)
}

// commit commits offsets (partition -> next offset) and updates the lag.
func (b *batcher) commit(offsets map[int]int64) {
	for id, next := range offsets {
		p := b.parts[id]
		p.committed.Store(next)
		b.c.m.Lag.WithLabelValues(strconv.Itoa(id)).Set(float64(p.lag()))
	}
	if err := b.gen.CommitOffsets(map[string]map[int]int64{b.c.cfg.Topic: offsets}); err != nil {
		// The rows are written; the next owner replays them idempotently.
		b.c.log.Warn("commit offsets failed", "err", err)
	}
}
