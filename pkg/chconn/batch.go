package chconn

import (
	"context"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"
)

// pool is the driver's connection pool with batches whose context cannot
// close a connection once it is back in the pool.
//
// clickhouse-go (v2.46) watches a batch's context during Send from a
// goroutine that closes the TCP connection when the context ends, and stops
// that goroutine by closing a channel: a context cancelled right after Send
// (a deferred cancel) can still win the goroutine's select, after the
// connection was released. The next statement on that connection then fails
// with "use of closed network connection" (CI: chmigrate's lease writes,
// whose contexts end as Apply returns). So the driver gets a context of its
// own: it has the caller's deadline, and the caller's cancellation reaches
// it only until the batch is sent, aborted or closed.
type pool struct{ driver.Conn }

func (p pool) PrepareBatch(ctx context.Context, query string, opts ...driver.PrepareBatchOption) (driver.Batch, error) {
	own, cancel := context.WithCancel(context.WithoutCancel(ctx))
	stop := context.AfterFunc(ctx, cancel)
	b, err := p.Conn.PrepareBatch(batchCtx{Context: own, caller: ctx}, query, opts...)
	if err != nil {
		stop()
		cancel()
		return nil, err
	}
	return &batch{Batch: b, stop: stop}, nil
}

// batchCtx is the batch's own context: done when the caller's ended while
// the batch was in use (AfterFunc), with the caller's deadline (the driver
// sets it on the socket) and the caller's error.
type batchCtx struct {
	context.Context
	caller context.Context
}

func (c batchCtx) Deadline() (time.Time, bool) { return c.caller.Deadline() }

func (c batchCtx) Err() error {
	if c.Context.Err() == nil {
		return nil
	}
	if err := c.caller.Err(); err != nil {
		return err
	}
	return context.Canceled
}

// batch detaches its context from the caller's once it is finished.
type batch struct {
	driver.Batch
	stop func() bool
}

func (b *batch) Send() error {
	defer b.stop()
	return b.Batch.Send()
}

func (b *batch) Abort() error {
	defer b.stop()
	return b.Batch.Abort()
}

func (b *batch) Close() error {
	defer b.stop()
	return b.Batch.Close()
}
