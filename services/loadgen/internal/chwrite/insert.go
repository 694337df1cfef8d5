package chwrite

import (
	"context"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"

	"github.com/cemhq/cem/pkg/chconn"
	"github.com/cemhq/cem/pkg/eventrows"
)

// Insert writes one columnar block into db.table (chconn.Insert, as the
// processor's writer does).
func Insert(ctx context.Context, conn driver.Conn, db, table string, cols []string, data []any) error {
	return chconn.Insert(ctx, conn, db+"."+table, cols, data)
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
