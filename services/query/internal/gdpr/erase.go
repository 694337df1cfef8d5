package gdpr

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/cemhq/cem/pkg/chmigrate"
	"github.com/cemhq/cem/pkg/junkid"
	"github.com/cemhq/cem/services/query/internal/apierr"
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
	Redacted    []Redaction `json:"redacted"`
	RequestedAt time.Time   `json:"requested_at"`
	CompletedAt time.Time   `json:"completed_at"`
	// Suppressed: every writer refuses the IDs (see Writers).
	Suppressed bool `json:"suppressed"`
	// SuppressionVersion is the suppressed_ids version the Writers
	// acknowledged before the deletion.
	SuppressionVersion uint64   `json:"suppression_version"`
	Writers            []Writer `json:"writers"`
	// Audit is the audit log row of this erasure.
	Audit Audit `json:"audit"`
}

// Request is one erasure or export.
type Request struct {
	// Customer is the canonical customer id, IDs every id linked to it.
	Customer string
	IDs      []string
	// Token is the name of the token that asked.
	Token string
}

// Options configure an Eraser.
type Options struct {
	// Layout is how the migrations laid the tables out.
	Layout chmigrate.Options
	// Junk ids are never erased (junkid.New()).
	Junk junkid.Set
	// PII are the event properties redacted in other customers' events
	// (DeclaredPII).
	PII []PIIField
	// AckTimeout bounds the wait for writers' acknowledgements.
	AckTimeout time.Duration
	// WriterTTL: a writer without a heartbeat for this long is not waited
	// for.
	WriterTTL time.Duration
}

// Eraser erases customers.
type Eraser struct {
	st   *chstore.Store
	opts Options
	// Poll is the polling interval of mutations and acknowledgements.
	// Default 50 ms.
	Poll time.Duration
	now  func() time.Time
}

// NewEraser returns an Eraser over st.
func NewEraser(st *chstore.Store, opts Options) *Eraser {
	return &Eraser{st: st, opts: opts, Poll: 50 * time.Millisecond, now: time.Now}
}

// CheckID refuses (400 junk_id) an id that many people share, which
// cannot be exported, erased or suppressed.
func CheckID(junk junkid.Set, id string) error {
	if junk.Is(id) {
		return &apierr.Error{Status: http.StatusBadRequest, Code: "junk_id", Message: fmt.Sprintf(
			"%q is a junk or shared id (many people carry it); it cannot be exported, erased or suppressed: use the person's own id", id)}
	}
	return nil
}

// Erase suppresses the ids, waits until every live writer refuses them,
// deletes every row that holds one of them, redacts their identity in
// other customers' events and records the receipt and the audit row. ctx
// bounds the whole erasure; a repeated call after a failure is safe. A
// failure is recorded in the audit log too.
func (e *Eraser) Erase(ctx context.Context, req Request) (*Receipt, error) {
	r := &Receipt{ReceiptID: newID("er_"), CustomerID: req.Customer, Tables: []TableRows{}, RequestedAt: e.now().UTC()}
	r.Audit = Audit{ID: newID("au_"), Action: "erase", Token: req.Token, CustomerID: req.Customer, ReceiptID: r.ReceiptID}
	err := e.erase(ctx, req, r)
	r.Audit.At, r.Audit.Outcome = e.now().UTC(), "ok"
	if err != nil {
		r.Audit.Outcome, r.Audit.Detail = "failed", err.Error()
		if ae, ok := apierr.As(err); ok {
			r.Audit.Detail = ae.Message
		}
		return nil, errors.Join(err, recordAudit(ctx, e.st, r.Audit))
	}
	r.Audit.Detail = fmt.Sprintf("%d ids suppressed, rows deleted from %d tables", len(r.IDs), len(r.Tables))
	for _, x := range r.Redacted {
		r.Audit.Detail += fmt.Sprintf("; redacted %s.%s in %d %s rows", x.Event, x.Property, x.Rows, x.Table)
	}
	if err := recordAudit(ctx, e.st, r.Audit); err != nil {
		return nil, err
	}
	return r, nil
}

func (e *Eraser) erase(ctx context.Context, req Request, r *Receipt) error {
	if err := CheckID(e.opts.Junk, req.Customer); err != nil {
		return err
	}
	for _, id := range req.IDs {
		if !e.opts.Junk.Is(id) { // a junk id is never linked; never suppress one
			r.IDs = append(r.IDs, id)
		}
	}
	ts, err := tables(ctx, e.st, e.opts.Layout)
	if err != nil {
		return err
	}
	vals, err := e.identityValues(ctx, ts, r.IDs)
	if err != nil {
		return err
	}
	if r.SuppressionVersion, err = e.suppress(ctx, r); err != nil {
		return err
	}
	r.Suppressed = true
	if r.Writers, err = e.awaitWriters(ctx, r.SuppressionVersion); err != nil {
		return err
	}
	if r.Tables, err = e.delete(ctx, ts, r.IDs); err != nil {
		return err
	}
	if r.Redacted, err = e.redact(ctx, ts, vals); err != nil {
		return err
	}
	r.CompletedAt = e.now().UTC()
	return e.record(ctx, r)
}

// delete deletes the rows of ids from every table and waits for the
// mutations.
func (e *Eraser) delete(ctx context.Context, ts []table, ids []string) ([]TableRows, error) {
	out := []TableRows{}
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
		out = append(out, TableRows{Table: t.Name, Rows: n})
	}
	return out, nil
}

// await polls system.mutations until no mutation of table is pending, on
// this node and, in cluster mode, on one replica of every shard.
func (e *Eraser) await(ctx context.Context, table string) error {
	tick := time.NewTicker(e.Poll)
	defer tick.Stop()
	q := "SELECT count() FROM system.mutations WHERE database = ? AND table = ? AND is_done = 0"
	args := []any{e.st.DB(), table}
	if c := e.opts.Layout.Cluster; c != "" {
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

func newID(prefix string) string {
	var b [12]byte
	_, _ = rand.Read(b[:])
	return prefix + hex.EncodeToString(b[:])
}
