package gdpr

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"time"

	"github.com/cemhq/cem/pkg/chmigrate"
	"github.com/cemhq/cem/services/query/internal/chstore"
)

// TableRows is the number of rows deleted from one table.
type TableRows struct {
	Table string `json:"table"`
	Rows  uint64 `json:"rows"`
}

// Receipt documents a completed erasure.
type Receipt struct {
	ReceiptID   string      `json:"receipt_id"`
	CustomerID  string      `json:"customer_id"`
	IDs         []string    `json:"ids"`
	Tables      []TableRows `json:"tables"`
	RequestedAt time.Time   `json:"requested_at"`
	CompletedAt time.Time   `json:"completed_at"`
	// Suppressed: later events from IDs are dropped by the collector.
	Suppressed bool `json:"suppressed"`
}

// Eraser erases customers.
type Eraser struct {
	st     *chstore.Store
	layout chmigrate.Options
	// Poll is the system.mutations polling interval. Default 50 ms.
	Poll time.Duration
	now  func() time.Time
}

// NewEraser returns an Eraser over st for tables laid out as layout says
// (the options the migrations ran with: single node, cluster or sharded).
func NewEraser(st *chstore.Store, layout chmigrate.Options) *Eraser {
	return &Eraser{st: st, layout: layout, Poll: 50 * time.Millisecond, now: time.Now}
}

// Erase suppresses ids, deletes every row that holds one of them and waits
// until the deletions are done. ctx bounds the whole erasure; a repeated
// call after a failure is safe.
func (e *Eraser) Erase(ctx context.Context, customer string, ids []string) (*Receipt, error) {
	r := &Receipt{ReceiptID: newID(), CustomerID: customer, IDs: ids, Tables: []TableRows{}, RequestedAt: e.now().UTC()}
	if err := e.suppress(ctx, r); err != nil {
		return nil, err
	}
	r.Suppressed = true
	ts, err := tables(ctx, e.st, e.layout)
	if err != nil {
		return nil, err
	}
	for _, t := range ts {
		cond, args := t.cond(ids)
		var n uint64
		if err := e.st.Row(ctx, fmt.Sprintf("SELECT count() FROM %s.%s WHERE %s", e.st.DB(), t.Name, cond), args, &n); err != nil {
			return nil, fmt.Errorf("count %s: %w", t.Name, err)
		}
		if n == 0 {
			continue
		}
		// A sharded table's rows live in its local table on every shard.
		if err := e.st.Exec(ctx, fmt.Sprintf("ALTER TABLE %s.%s %s DELETE WHERE %s", e.st.DB(), t.Local, t.OnCluster, cond), args...); err != nil {
			return nil, fmt.Errorf("delete from %s: %w", t.Name, err)
		}
		if err := e.await(ctx, t.Local); err != nil {
			return nil, err
		}
		r.Tables = append(r.Tables, TableRows{Table: t.Name, Rows: n})
	}
	r.CompletedAt = e.now().UTC()
	if err := e.record(ctx, r); err != nil {
		return nil, err
	}
	return r, nil
}

// await polls system.mutations until no mutation of table is pending, on
// this node and, in cluster mode, on one replica of every shard.
func (e *Eraser) await(ctx context.Context, table string) error {
	tick := time.NewTicker(e.Poll)
	defer tick.Stop()
	q := "SELECT count() FROM system.mutations WHERE database = ? AND table = ? AND is_done = 0"
	args := []any{e.st.DB(), table}
	if c := e.layout.Cluster; c != "" {
		q = "SELECT (" + q + ") + (SELECT count() FROM cluster('" + c + "', system, mutations) WHERE database = ? AND table = ? AND is_done = 0)"
		args = append(args, e.st.DB(), table)
	}
	for {
		var pending uint64
		if err := e.st.Row(ctx, q, args, &pending); err != nil {
			return fmt.Errorf("await deletion in %s: %w", table, err)
		}
		if pending == 0 {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("await deletion in %s: %w", table, ctx.Err())
		case <-tick.C:
		}
	}
}

func (e *Eraser) suppress(ctx context.Context, r *Receipt) error {
	b, err := e.st.Conn().PrepareBatch(ctx, "INSERT INTO "+e.st.DB()+".suppressed_ids (id, customer_id, suppressed_at, reason, receipt_id, active, version)")
	if err != nil {
		return fmt.Errorf("suppress ids: %w", err)
	}
	defer func() { _ = b.Abort() }()
	v := uint64(r.RequestedAt.UnixNano())
	for _, id := range r.IDs {
		if err := b.Append(id, r.CustomerID, r.RequestedAt.Truncate(time.Second), "gdpr_erasure", r.ReceiptID, uint8(1), v); err != nil {
			return fmt.Errorf("suppress ids: %w", err)
		}
	}
	if err := b.Send(); err != nil {
		return fmt.Errorf("suppress ids: %w", err)
	}
	return nil
}

func (e *Eraser) record(ctx context.Context, r *Receipt) error {
	tj, _ := json.Marshal(r.Tables)
	b, err := e.st.Conn().PrepareBatch(ctx, "INSERT INTO "+e.st.DB()+".erasure_receipts (receipt_id, customer_id, ids, requested_at, completed_at, deleted_tables, version)")
	if err != nil {
		return fmt.Errorf("record receipt: %w", err)
	}
	defer func() { _ = b.Abort() }()
	if err := b.Append(r.ReceiptID, r.CustomerID, r.IDs, r.RequestedAt.Truncate(time.Second), r.CompletedAt.Truncate(time.Second), string(tj), uint64(r.CompletedAt.UnixNano())); err != nil {
		return fmt.Errorf("record receipt: %w", err)
	}
	if err := b.Send(); err != nil {
		return fmt.Errorf("record receipt: %w", err)
	}
	return nil
}

func newID() string {
	var b [12]byte
	_, _ = rand.Read(b[:])
	return "er_" + hex.EncodeToString(b[:])
}
