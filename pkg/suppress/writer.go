package suppress

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"log/slog"
	"os"
	"sync/atomic"
	"time"
)

// writer is a List's registration in suppression_writers.
type writer struct {
	id, kind, host string
	acked          atomic.Uint64
	beat           time.Time // last heartbeat written
	warned         bool
}

func newWriter(kind string) *writer {
	host, _ := os.Hostname()
	var b [6]byte
	_, _ = rand.Read(b[:])
	return &writer{id: kind + "-" + host + "-" + hex.EncodeToString(b[:]), kind: kind, host: host}
}

// RunConfig times a List's Run.
type RunConfig struct {
	// Interval between polls of the newest version (reloading the list
	// when it changed). Default 1s.
	Interval time.Duration
	// Heartbeat is how often a writer confirms it is alive when nothing
	// changed. Default 5s.
	Heartbeat time.Duration
}

// WriterID is the id the List acknowledges under ("" for a reader).
func (l *List) WriterID() string {
	if l.w == nil {
		return ""
	}
	return l.w.id
}

// Run keeps the list fresh until ctx ends: it polls the newest version
// every Interval, reloads on a change and, for a writer, acknowledges a
// version once no write holds an older list, and heartbeats. When ctx
// ends, a writer records that it stopped. Failures are logged; the last
// list stays in force.
func (l *List) Run(ctx context.Context, rc RunConfig, log *slog.Logger) {
	if rc.Interval <= 0 {
		rc.Interval = time.Second
	}
	if rc.Heartbeat <= 0 {
		rc.Heartbeat = 5 * time.Second
	}
	t := time.NewTicker(rc.Interval)
	defer t.Stop()
	var retired []*generation
	failing := false
	for {
		old, err := l.poll(ctx)
		switch {
		case err != nil && ctx.Err() == nil && !failing:
			log.Warn("suppression list refresh failed; keeping the last list", "err", err)
			failing = true
		case err == nil:
			if failing {
				log.Info("suppression list refreshed again")
			}
			failing = false
		}
		if old != nil {
			retired = append(retired, old)
		}
		retired = busy(retired)
		if l.w != nil && ctx.Err() == nil {
			// While a write holds an older list, the heartbeat goes on with
			// the version acknowledged before: erasures keep waiting.
			v := l.w.acked.Load()
			if len(retired) == 0 {
				v = l.Version()
			}
			l.ack(ctx, v, rc.Heartbeat, log)
		}
		select {
		case <-ctx.Done():
			l.stop(log)
			return
		case <-t.C:
		case <-l.drained:
		}
	}
}

// busy keeps the generations that still have holds.
func busy(gs []*generation) []*generation {
	out := gs[:0]
	for _, g := range gs {
		if g.holds.Load() > 0 {
			out = append(out, g)
		}
	}
	return out
}

// poll reloads the list when the newest version changed and returns the
// generation it replaced.
func (l *List) poll(ctx context.Context) (*generation, error) {
	v, err := l.maxVersion(ctx)
	if err != nil {
		return nil, err
	}
	if v == l.Version() {
		return nil, nil
	}
	ids, err := l.load(ctx)
	if err != nil {
		return nil, err
	}
	return l.swap(ids, v), nil
}

// ack records version v (every write since holds it, or the one before
// while older writes are in progress) when it changed or a heartbeat is
// due.
func (l *List) ack(ctx context.Context, v uint64, every time.Duration, log *slog.Logger) {
	if v == l.w.acked.Load() && time.Since(l.w.beat) < every {
		return
	}
	if err := l.beat(ctx, v, 0); err != nil {
		if !l.w.warned {
			log.Warn("suppression acknowledgement failed; erasures wait for this writer", "writer", l.w.id, "err", err)
			l.w.warned = true
		}
		return
	}
	l.w.warned = false
	l.w.acked.Store(v)
	l.w.beat = time.Now()
}

// stop records that the writer stopped, so that erasures stop waiting for
// it.
func (l *List) stop(log *slog.Logger) {
	if l.w == nil {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	if err := l.beat(ctx, l.w.acked.Load(), 1); err != nil {
		log.Warn("suppression writer stop not recorded; erasures wait for its heartbeat to expire", "writer", l.w.id, "err", err)
	}
}

func (l *List) beat(ctx context.Context, version uint64, stopped uint8) error {
	conn := l.connection()
	if conn == nil {
		return fmt.Errorf("no ClickHouse connection")
	}
	b, err := conn.PrepareBatch(ctx, "INSERT INTO "+l.opts.Database+".suppression_writers (writer_id, kind, host, version, ids, heartbeat_at, heartbeat_ms, stopped, seq)")
	if err != nil {
		return fmt.Errorf("suppression heartbeat: %w", err)
	}
	defer func() { _ = b.Abort() }()
	now := time.Now()
	if err := b.Append(l.w.id, l.w.kind, l.w.host, version, uint64(l.Len()), now.Truncate(time.Second), now.UnixMilli(), stopped, uint64(now.UnixNano())); err != nil {
		return fmt.Errorf("suppression heartbeat: %w", err)
	}
	if err := b.Send(); err != nil {
		return fmt.Errorf("suppression heartbeat: %w", err)
	}
	return nil
}

// Acked is the version this writer last acknowledged.
func (l *List) Acked() uint64 {
	if l.w == nil {
		return 0
	}
	return l.w.acked.Load()
}
