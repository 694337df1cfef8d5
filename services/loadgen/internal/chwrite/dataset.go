package chwrite

import (
	"context"
	"fmt"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"

	"github.com/cemhq/cem/pkg/events"
	"github.com/cemhq/cem/services/loadgen/internal/population"
)

// Sessionize assigns session ids to one customer's events (time-ordered):
// per customer key, a new session after a 30-minute gap or on a new
// campaign, as the processor does.
func Sessionize(evs []events.Event) []Row {
	type state struct {
		last    time.Time
		id      string
		camp    string
		counter int
	}
	st := map[string]*state{}
	rows := make([]Row, len(evs))
	for i := range evs {
		e := &evs[i]
		k := e.CustomerKey()
		s := st[k]
		camp := ""
		if e.Context.Campaign != nil {
			camp = e.Context.Campaign.Name
		}
		if s == nil || e.Timestamp.Sub(s.last) > 30*time.Minute || (camp != "" && camp != s.camp) {
			if s == nil {
				s = &state{}
				st[k] = s
			}
			s.counter++
			s.id, s.camp = fmt.Sprintf("%s-s%d", k, s.counter), camp
		}
		s.last = e.Timestamp
		rows[i] = Row{Event: e, SessionID: s.id}
	}
	return rows
}

// chunk is the rows and links of a range of customers.
type chunk struct {
	cols  *Columnar
	links []Link
}

// customerChunk generates customers [from, to).
func customerChunk(pop *population.Population, from, to int) chunk {
	ch := chunk{cols: NewColumnar((to - from) * 140)}
	for i := from; i < to; i++ {
		evs := pop.Journey(i)
		c := pop.Customer(i)
		canonical := c.UserID
		if c.Persona == population.Browsers {
			canonical = ""
		}
		rows := Sessionize(evs)
		linked := map[string]bool{}
		for j := range rows {
			r := &rows[j]
			r.CustomerID = canonical
			if canonical == "" {
				r.CustomerID = r.Event.CustomerKey()
			}
			if canonical != "" && r.Event.AnonymousID != "" && r.Event.UserID != "" && !linked[r.Event.AnonymousID] {
				linked[r.Event.AnonymousID] = true
				ch.links = append(ch.links, Link{ID: r.Event.AnonymousID, Customer: canonical, Cause: "identify", MessageID: r.Event.MessageID, At: r.Event.Timestamp})
			}
			ch.cols.Add(r)
		}
	}
	return ch
}

// LoadOptions configure Load.
type LoadOptions struct {
	// Events is the number of events to write.
	Events int
	// BatchRows is the rows per insert. Default 100000.
	BatchRows int
	// Workers generate rows in parallel. Default 2.
	Workers int
	// Progress, when set, is called after each insert with the rows so far.
	Progress func(rows int)
}

// Load writes the first o.Events events of pop's customers (in customer
// order) into db.events, and their identity links into db.identities and
// db.customer_ids. It returns the number of customers written.
func Load(ctx context.Context, conn driver.Conn, db string, pop *population.Population, o LoadOptions) (int, error) {
	if o.BatchRows <= 0 {
		o.BatchRows = 100000
	}
	if o.Workers <= 0 {
		o.Workers = 2
	}
	perChunk := max(1, o.BatchRows/140)
	version := uint64(time.Now().UnixNano())
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	// futures keep chunks in customer order while workers run ahead.
	futures := make(chan chan chunk, o.Workers-1)
	go func() {
		defer close(futures)
		for from := 0; ; from += perChunk {
			f := make(chan chunk, 1)
			select {
			case futures <- f:
			case <-ctx.Done():
				return
			}
			go func(from int) { f <- customerChunk(pop, from, from+perChunk) }(from)
		}
	}()
	written, customers := 0, 0
	var links []Link
	for f := range futures {
		ch := <-f
		customers += perChunk
		if rest := o.Events - written; ch.cols.Len() > rest {
			ch.cols.Truncate(rest)
		}
		if err := InsertEvents(ctx, conn, db, ch.cols); err != nil {
			return customers, err
		}
		written += ch.cols.Len()
		links = append(links, ch.links...)
		if len(links) >= o.BatchRows || written >= o.Events {
			if err := InsertLinks(ctx, conn, db, links, version); err != nil {
				return customers, err
			}
			links = links[:0]
		}
		if o.Progress != nil {
			o.Progress(written)
		}
		if written >= o.Events {
			break
		}
	}
	return customers, nil
}
