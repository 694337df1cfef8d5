package sink

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync/atomic"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2"
	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"

	"github.com/cemhq/cem/pkg/chconn"
)

// Writer inserts Blocks into one ClickHouse database. It is safe for use by
// one flush at a time; Ready may be called concurrently.
type Writer struct {
	conn    driver.Conn
	db      string
	backoff Backoff
	m       *Metrics
	log     *slog.Logger
	ready   atomic.Bool
}

// NewWriter returns a Writer for database db over conn.
func NewWriter(conn driver.Conn, db string, b Backoff, m *Metrics, log *slog.Logger) *Writer {
	return &Writer{conn: conn, db: db, backoff: b, m: m, log: log}
}

// Ready reports whether the last insert (or Ping) succeeded.
func (w *Writer) Ready() bool { return w.ready.Load() }

// Check is a readiness check for telemetry.Health: it fails while inserts
// fail.
func (w *Writer) Check(context.Context) error {
	if !w.ready.Load() {
		return fmt.Errorf("clickhouse writes failing or not yet attempted")
	}
	return nil
}

// MarkReady records the outcome of an operation against ClickHouse (for
// example the start-up ping or a state load) in the ready flag and gauge.
func (w *Writer) MarkReady(ok bool) {
	w.ready.Store(ok)
	if ok {
		w.m.Ready.Set(1)
	} else {
		w.m.Ready.Set(0)
	}
}

// Write inserts every block in order, retrying each failed insert with
// backoff until it succeeds. It returns nil when all blocks are written,
// a Permanent error when ClickHouse rejects an insert as such (unknown
// table or column, type mismatch: see Classify) or a block is malformed, and
// ctx's error when ctx ends first. After an error some blocks may be written
// and others not; the caller must not commit. Empty blocks are skipped.
func (w *Writer) Write(ctx context.Context, blocks []Block) error {
	for _, b := range blocks {
		if b.Build != nil {
			b.Data, b.Rows = b.Build()
		}
		if b.Rows == 0 {
			continue
		}
		if err := b.Check(); err != nil {
			return Permanent(err)
		}
		err := Retry(ctx, w.backoff, func(ctx context.Context) error {
			return w.insert(ctx, b)
		}, func(err error, attempt int) {
			w.MarkReady(false)
			w.m.InsertErrors.WithLabelValues(b.Table).Inc()
			w.m.InsertRetries.WithLabelValues(b.Table).Inc()
			w.log.Warn("clickhouse insert failed; retrying", "table", b.Table, "rows", b.Rows, "attempt", attempt, "err", err)
		})
		if err != nil {
			if IsPermanent(err) {
				w.MarkReady(false)
				w.m.InsertErrors.WithLabelValues(b.Table).Inc()
			}
			return fmt.Errorf("write %s: %w", b.Table, err)
		}
		w.MarkReady(true)
	}
	return nil
}

func (w *Writer) insert(ctx context.Context, b Block) error {
	start := time.Now()
	if err := chconn.Insert(ctx, w.conn, w.db+"."+b.Table, b.Columns, b.Data); err != nil {
		if ae := (*chconn.AppendError)(nil); errors.As(err, &ae) {
			return Permanent(err)
		}
		return Classify(err)
	}
	w.m.InsertDuration.WithLabelValues(b.Table).Observe(time.Since(start).Seconds())
	w.m.BatchRows.WithLabelValues(b.Table).Observe(float64(b.Rows))
	w.m.RowsWritten.WithLabelValues(b.Table).Add(float64(b.Rows))
	return nil
}

// Query runs a read with the Writer's backoff, retrying until it succeeds,
// ClickHouse rejects the query as such (a Permanent error, see Classify), or
// ctx ends; scan is called for each attempt's rows and must reset whatever it
// accumulates when it is called again. An error returned by scan is
// Permanent (a column that does not convert).
func (w *Writer) Query(ctx context.Context, scan func(driver.Rows) error, query string, args ...any) error {
	if err := Await(ctx); err != nil {
		return err
	}
	ctx = clickhouse.Context(ctx, clickhouse.WithSettings(clickhouse.Settings{"max_query_size": 64 << 20}))
	return Retry(ctx, w.backoff, func(ctx context.Context) error {
		rows, err := w.conn.Query(ctx, query, args...)
		if err != nil {
			return Classify(fmt.Errorf("query: %w", err))
		}
		defer rows.Close()
		if err := scan(rows); err != nil {
			return Permanent(err)
		}
		return Classify(rows.Err())
	}, func(err error, attempt int) {
		w.MarkReady(false)
		w.log.Warn("clickhouse query failed; retrying", "attempt", attempt, "err", err)
	})
}

type awaitKey struct{}

// WithAwait returns a context whose reads (Writer.Query) first call await:
// the processor's flush loads its state while the previous flush's rows
// are still being written, and a read must see them.
func WithAwait(ctx context.Context, await func(context.Context) error) context.Context {
	return context.WithValue(ctx, awaitKey{}, await)
}

// WithoutAwait returns a context whose reads do not wait: for a stage that
// knows which of its reads may concern rows in flight and calls Await for
// those itself.
func WithoutAwait(ctx context.Context) context.Context {
	return context.WithValue(ctx, awaitKey{}, (func(context.Context) error)(nil))
}

// Await waits for the rows in flight of ctx (see WithAwait; nil without).
func Await(ctx context.Context) error {
	if f, ok := ctx.Value(awaitKey{}).(func(context.Context) error); ok && f != nil {
		return f(ctx)
	}
	return nil
}

// DB is the database the Writer writes to.
func (w *Writer) DB() string { return w.db }

// Set binds a list of strings for "x IN ?" as a parenthesised tuple, the
// form ClickHouse 18.16 accepts (a plain slice binds as an array).
func Set(values []string) clickhouse.GroupSet {
	v := make([]any, len(values))
	for i, s := range values {
		v[i] = s
	}
	return clickhouse.GroupSet{Value: v}
}
