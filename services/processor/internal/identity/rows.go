package identity

import (
	"time"

	"github.com/cemhq/cem/services/processor/internal/sink"
)

// rows accumulates the identity tables' rows as columns.
type rows struct {
	mAt                                          []time.Time
	mAtMs                                        []int64
	mCause, mFrom, mTo, mFromCust, mCust, mEvent []string
	mVersion                                     []uint64
	iID, iCust, iCause, iSource                  []string
	iLinked                                      []time.Time
	iVersion                                     []uint64
	cCust, cID                                   []string
	cDeleted                                     []uint8
	cVersion                                     []uint64
}

func (r *rows) merge(m *Merge, at time.Time, atMs int64, eventID string, v uint64) {
	r.mAt, r.mAtMs = append(r.mAt, at), append(r.mAtMs, atMs)
	r.mCause, r.mFrom, r.mTo = append(r.mCause, m.Cause), append(r.mFrom, m.FromID), append(r.mTo, m.ToID)
	r.mFromCust, r.mCust = append(r.mFromCust, m.FromCustomer), append(r.mCust, m.Customer)
	r.mEvent, r.mVersion = append(r.mEvent, eventID), append(r.mVersion, v)
}

func (r *rows) identity(id, customer string, linked time.Time, cause, eventID string, v uint64) {
	r.iID, r.iCust, r.iLinked = append(r.iID, id), append(r.iCust, customer), append(r.iLinked, linked)
	r.iCause, r.iSource, r.iVersion = append(r.iCause, cause), append(r.iSource, eventID), append(r.iVersion, v)
}

func (r *rows) member(customer, id string, deleted bool, v uint64) {
	var d uint8
	if deleted {
		d = 1
	}
	r.cCust, r.cID, r.cDeleted, r.cVersion = append(r.cCust, customer), append(r.cID, id), append(r.cDeleted, d), append(r.cVersion, v)
}

func (r *rows) blocks() []sink.Block {
	return []sink.Block{
		{
			Table:   "identity_merges",
			Columns: []string{"at", "at_ms", "cause", "from_id", "to_id", "from_customer_id", "customer_id", "event_id", "version"},
			Data:    []any{r.mAt, r.mAtMs, r.mCause, r.mFrom, r.mTo, r.mFromCust, r.mCust, r.mEvent, r.mVersion},
			Rows:    len(r.mAt),
		},
		{
			Table:   "customer_ids",
			Columns: []string{"customer_id", "id", "deleted", "version"},
			Data:    []any{r.cCust, r.cID, r.cDeleted, r.cVersion},
			Rows:    len(r.cCust),
		},
		{
			Table:   "identities",
			Columns: []string{"id", "customer_id", "linked_at", "cause", "source_message_id", "version"},
			Data:    []any{r.iID, r.iCust, r.iLinked, r.iCause, r.iSource, r.iVersion},
			Rows:    len(r.iID),
		},
	}
}
