package gdpr

import (
	"context"
	"fmt"
	"time"

	"github.com/cemhq/cem/services/query/internal/chstore"
)

// Audit is one row of the GDPR audit log (gdpr_audit): who exported or
// erased whom, when, and how it ended.
type Audit struct {
	ID         string    `json:"audit_id"`
	Action     string    `json:"action"`  // export, erase
	Outcome    string    `json:"outcome"` // ok, failed
	Token      string    `json:"token"`   // the token's name, never its secret
	CustomerID string    `json:"customer_id"`
	ReceiptID  string    `json:"receipt_id,omitempty"`
	Detail     string    `json:"detail,omitempty"`
	At         time.Time `json:"at"`
}

// recordAudit stores a; a failed request is recorded with a context of its own
// (the request's may have ended).
func recordAudit(ctx context.Context, st *chstore.Store, a Audit) error {
	if ctx.Err() != nil {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
		defer cancel()
	}
	b, err := st.Conn().PrepareBatch(ctx, "INSERT INTO "+st.DB()+".gdpr_audit (audit_id, action, outcome, token_name, customer_id, receipt_id, detail, at, at_ms)")
	if err != nil {
		return fmt.Errorf("record audit: %w", err)
	}
	defer func() { _ = b.Abort() }()
	if err := b.Append(a.ID, a.Action, a.Outcome, a.Token, a.CustomerID, a.ReceiptID, a.Detail, a.At.Truncate(time.Second), a.At.UnixMilli()); err != nil {
		return fmt.Errorf("record audit: %w", err)
	}
	if err := b.Send(); err != nil {
		return fmt.Errorf("record audit: %w", err)
	}
	return nil
}
