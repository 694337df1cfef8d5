package sink

import (
	"context"
	"time"
)

// Backoff is an exponential backoff policy.
type Backoff struct {
	// Initial is the first wait. Default 100 ms.
	Initial time.Duration
	// Max caps the wait. Default 5 s.
	Max time.Duration
}

func (b Backoff) next(prev time.Duration) time.Duration {
	if prev <= 0 {
		if b.Initial <= 0 {
			return 100 * time.Millisecond
		}
		return b.Initial
	}
	n := 2 * prev
	limit := b.Max
	if limit <= 0 {
		limit = 5 * time.Second
	}
	return min(n, limit)
}

// Retry calls fn until it returns nil or ctx ends, waiting with backoff
// between attempts. onErr (may be nil) sees every failure with the attempt
// number (1 for the first). Retry returns ctx's error when it gives up.
func Retry(ctx context.Context, b Backoff, fn func(context.Context) error, onErr func(err error, attempt int)) error {
	var wait time.Duration
	for attempt := 1; ; attempt++ {
		err := fn(ctx)
		if err == nil {
			return nil
		}
		if ctx.Err() != nil {
			return ctx.Err()
		}
		if onErr != nil {
			onErr(err, attempt)
		}
		wait = b.next(wait)
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return ctx.Err()
		case <-t.C:
		}
	}
}
