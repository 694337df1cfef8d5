package ingest

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/segmentio/kafka-go"
)

// partition is what the consumer knows of one owned partition. The
// committed offset moves only with a successful flush; the high-water mark
// is raised by the partition's reader at each fetch and by the probe, which
// asks the broker directly, so lag keeps growing while flushes are stuck
// (ClickHouse down) and the readers have stopped after their prefetch.
type partition struct {
	committed atomic.Int64 // next offset to commit; < 0 until the first commit (kafka.FirstOffset)
	first     atomic.Int64 // the log start offset, as the probe last read it
	hwm       atomic.Int64
}

func (p *partition) seen(hwm int64) {
	for {
		cur := p.hwm.Load()
		if hwm <= cur || p.hwm.CompareAndSwap(cur, hwm) {
			return
		}
	}
}

// lag is the records of the partition not yet written: its high-water mark
// minus the next offset to commit.
func (p *partition) lag() int64 {
	next := p.committed.Load()
	if next < 0 {
		next = p.first.Load()
	}
	return max(0, p.hwm.Load()-next)
}

// health is the consumer's readiness: a member of the group with assigned
// partitions whose broker answered the last probe.
type health struct {
	mu  sync.Mutex
	ids []int
	err error
}

func (h *health) set(ids []int, err error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.ids, h.err = ids, err
}

// Ready is a readiness check for telemetry.Health: it fails until the
// consumer owns partitions, while the broker does not answer the offset
// probe, and between generations (rebalances).
func (c *Consumer) Ready(context.Context) error {
	c.health.mu.Lock()
	defer c.health.mu.Unlock()
	if c.health.err != nil {
		return c.health.err
	}
	if len(c.health.ids) == 0 {
		return errors.New("no partitions assigned")
	}
	return nil
}

// probe reads the first and last offsets of the owned partitions every
// ProbeInterval until ctx ends, updating the lag gauge and readiness.
func (c *Consumer) probe(ctx context.Context, parts map[int]*partition) {
	ids := make([]int, 0, len(parts))
	reqs := make([]kafka.OffsetRequest, 0, 2*len(parts))
	for id := range parts {
		ids = append(ids, id)
		reqs = append(reqs, kafka.FirstOffsetOf(id), kafka.LastOffsetOf(id))
	}
	if len(ids) == 0 {
		c.health.set(nil, errors.New("no partitions assigned (more members than partitions)"))
		return
	}
	cl := &kafka.Client{Addr: kafka.TCP(c.cfg.Brokers...), Timeout: c.cfg.ProbeInterval}
	t := time.NewTicker(c.cfg.ProbeInterval)
	defer t.Stop()
	for {
		err := c.probeOnce(ctx, cl, reqs, parts)
		if ctx.Err() != nil {
			return
		}
		if err != nil {
			c.log.Warn("kafka offset probe failed", "err", err)
		}
		c.health.set(ids, err)
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

func (c *Consumer) probeOnce(ctx context.Context, cl *kafka.Client, reqs []kafka.OffsetRequest, parts map[int]*partition) error {
	pctx, cancel := context.WithTimeout(ctx, c.cfg.ProbeInterval)
	defer cancel()
	res, err := cl.ListOffsets(pctx, &kafka.ListOffsetsRequest{Topics: map[string][]kafka.OffsetRequest{c.cfg.Topic: reqs}})
	if err != nil {
		return fmt.Errorf("kafka: list offsets: %w", err)
	}
	var errs []error
	for _, po := range res.Topics[c.cfg.Topic] {
		p := parts[po.Partition]
		if p == nil {
			continue
		}
		if po.Error != nil {
			errs = append(errs, fmt.Errorf("kafka: partition %d offsets: %w", po.Partition, po.Error))
			continue
		}
		p.first.Store(po.FirstOffset)
		p.seen(po.LastOffset)
		c.m.Lag.WithLabelValues(strconv.Itoa(po.Partition)).Set(float64(p.lag()))
	}
	return errors.Join(errs...)
}
