package gdpr

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"

	"github.com/cemhq/cem/services/query/internal/apierr"
)

// Writer is a writer process that acknowledged an erasure's suppression.
type Writer struct {
	ID      string `json:"writer_id"`
	Kind    string `json:"kind"`
	Version uint64 `json:"version"`
}

// suppress inserts the receipt's ids into suppressed_ids under a version
// newer than any there (even with this host's clock behind) and returns it.
func (e *Eraser) suppress(ctx context.Context, r *Receipt) (uint64, error) {
	var newest uint64
	if err := e.st.Row(ctx, "SELECT max(version) FROM "+e.st.DB()+".suppressed_ids", nil, &newest); err != nil {
		return 0, fmt.Errorf("suppress ids: %w", err)
	}
	v := max(uint64(r.RequestedAt.UnixNano()), newest+1)
	b, err := e.st.Conn().PrepareBatch(ctx, "INSERT INTO "+e.st.DB()+".suppressed_ids (id, customer_id, suppressed_at, reason, receipt_id, active, version)")
	if err != nil {
		return 0, fmt.Errorf("suppress ids: %w", err)
	}
	defer func() { _ = b.Abort() }()
	for _, id := range r.IDs {
		if err := b.Append(id, r.CustomerID, r.RequestedAt.Truncate(time.Second), "gdpr_erasure", r.ReceiptID, uint8(1), v); err != nil {
			return 0, fmt.Errorf("suppress ids: %w", err)
		}
	}
	if err := b.Send(); err != nil {
		return 0, fmt.Errorf("suppress ids: %w", err)
	}
	return v, nil
}

// awaitWriters waits until every live writer (a heartbeat within
// WriterTTL, not stopped) acknowledged version v or newer: from then on
// each of them refuses the ids, and every write it began before has ended.
// It fails with 503 writers_unconfirmed after AckTimeout, naming the
// writers that did not answer.
func (e *Eraser) awaitWriters(ctx context.Context, v uint64) ([]Writer, error) {
	deadline := time.Now().Add(e.opts.AckTimeout)
	tick := time.NewTicker(e.Poll)
	defer tick.Stop()
	for {
		done, pending, err := e.writers(ctx, v)
		if err != nil {
			return nil, err
		}
		if len(pending) == 0 {
			return done, nil
		}
		if time.Now().After(deadline) {
			names := make([]string, len(pending))
			for i, w := range pending {
				names[i] = fmt.Sprintf("%s (%s, at version %d)", w.ID, w.Kind, w.Version)
			}
			return nil, &apierr.Error{Status: http.StatusServiceUnavailable, Code: "writers_unconfirmed", Message: fmt.Sprintf(
				"the ids are suppressed, but %d writer(s) did not confirm the suppression within %s: %s; nothing was deleted yet, retry the erasure",
				len(pending), e.opts.AckTimeout, strings.Join(names, ", "))}
		}
		select {
		case <-ctx.Done():
			return nil, fmt.Errorf("await writers: %w", ctx.Err())
		case <-tick.C:
		}
	}
}

// writers lists the live writers that acknowledged v (done) and those that
// did not yet (pending).
func (e *Eraser) writers(ctx context.Context, v uint64) (done, pending []Writer, err error) {
	since := time.Now().Add(-e.opts.WriterTTL).UnixMilli()
	q := `SELECT writer_id, argMax(kind, seq), argMax(version, seq), argMax(heartbeat_ms, seq) AS hb, argMax(stopped, seq) AS st
FROM ` + e.st.DB() + `.suppression_writers GROUP BY writer_id HAVING hb >= ? AND st = 0 ORDER BY writer_id`
	err = e.st.Select(ctx, func(rows driver.Rows) error {
		var w Writer
		var hb int64
		var st uint8
		if err := rows.Scan(&w.ID, &w.Kind, &w.Version, &hb, &st); err != nil {
			return err
		}
		if w.Version >= v {
			done = append(done, w)
		} else {
			pending = append(pending, w)
		}
		return nil
	}, q, since)
	if err != nil {
		return nil, nil, fmt.Errorf("await writers: %w", err)
	}
	return done, pending, nil
}
