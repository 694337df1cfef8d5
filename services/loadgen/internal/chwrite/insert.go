package chwrite

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"

	"github.com/cemhq/cem/pkg/eventrows"
)

// Insert writes one columnar block into db.table with an explicit column
// list (the only insert form ClickHouse 18.16 accepts from clickhouse-go).
func Insert(ctx context.Context, conn driver.Conn, db, table string, cols []string, data []any) error {
	if len(cols) != len(data) {
		return fmt.Errorf("insert %s: %d columns, %d data", table, len(cols), len(data))
	}
	b, err := conn.PrepareBatch(ctx, fmt.Sprintf("INSERT INTO %s.%s (%s)", db, table, strings.Join(cols, ", ")))
	if err != nil {
		return fmt.Errorf("prepare insert %s: %w", table, err)
	}
	defer func() { _ = b.Abort() }()
	for i, d := range data {
		if err := b.Column(i).Append(d); err != nil {
			return fmt.Errorf("append %s.%s: %w", table, cols[i], err)
		}
	}
	if err := b.Send(); err != nil {
		return fmt.Errorf("insert %s: %w", table, err)
	}
	return nil
}

// InsertEvents writes c into db.events.
func InsertEvents(ctx context.Context, conn driver.Conn, db string, c *Columnar) error {
	return Insert(ctx, conn, db, "events", Columns(), c.Data())
}

// Link is an identity link: id belongs to customer.
type Link struct {
	ID, Customer, Cause, MessageID string
	At                             time.Time
}

// InsertLinks writes links into db.identities and db.customer_ids.
func InsertLinks(ctx context.Context, conn driver.Conn, db string, links []Link, version uint64) error {
	n := len(links)
	ids, custs, causes, msgs := make([]string, n), make([]string, n), make([]string, n), make([]string, n)
	at, vers, del := make([]time.Time, n), make([]uint64, n), make([]uint8, n)
	for i, l := range links {
		ids[i], custs[i], causes[i], msgs[i], at[i], vers[i] = l.ID, l.Customer, l.Cause, l.MessageID, eventrows.Secs(l.At), version
	}
	if err := Insert(ctx, conn, db, "identities", []string{"id", "customer_id", "linked_at", "cause", "source_message_id", "version"},
		[]any{ids, custs, at, causes, msgs, vers}); err != nil {
		return err
	}
	return Insert(ctx, conn, db, "customer_ids", []string{"customer_id", "id", "deleted", "version"}, []any{custs, ids, del, vers})
}
