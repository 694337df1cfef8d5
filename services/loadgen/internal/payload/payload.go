package payload

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strconv"
	"sync/atomic"
	"time"

	"github.com/cemhq/cem/pkg/events"
	"github.com/cemhq/cem/services/loadgen/internal/population"
)

// Placeholder is the id prefix every generated id of a template starts
// with; Templates.Body replaces it with the pass number so each pass posts
// new customers and new messageIds.
const Placeholder = "@@@@@@@@"

// ClientEvent returns ev as an SDK sends it: no source, enrichment,
// receivedAt or sentAt, and the client's clock in timestamp.
func ClientEvent(ev events.Event) events.Event {
	ev.Timestamp = ev.OriginalTimestamp
	ev.OriginalTimestamp, ev.SentAt, ev.ReceivedAt = time.Time{}, time.Time{}, time.Time{}
	ev.Source, ev.Enrichment = "", events.Enrichment{}
	return ev
}

// Encode returns the batch body of evs (client view) with sentAt.
func Encode(evs []events.Event, sentAt time.Time) ([]byte, error) {
	var b bytes.Buffer
	b.Grow(len(evs) * 900)
	b.WriteString(`{"batch":[`)
	for i := range evs {
		if i > 0 {
			b.WriteByte(',')
		}
		ce := ClientEvent(evs[i])
		j, err := json.Marshal(&ce)
		if err != nil {
			return nil, fmt.Errorf("encode event %d: %w", i, err)
		}
		b.Write(j)
	}
	b.WriteString(`],"sentAt":`)
	b.WriteString(strconv.Quote(sentAt.UTC().Format("2006-01-02T15:04:05.000Z07:00")))
	b.WriteString(`}`)
	return b.Bytes(), nil
}

// Template is one batch body with the offsets of its placeholders.
type Template struct {
	Source string
	Body   []byte
	Events int
	slots  []int
}

// Templates is a fixed set of batch bodies replayed with new ids.
type Templates struct {
	items  []Template
	events int
	run    uint32
	next   atomic.Uint64
}

// Options configure NewTemplates.
type Options struct {
	// Seed of the population. Default 0.
	Seed uint64
	// Batches is the number of templates (bodies). Default 500.
	Batches int
	// BatchSize is the number of events per batch. Default 100.
	BatchSize int
	// Run distinguishes load runs: ids of different runs never collide.
	Run uint16
	// Now is the client clock at sentAt; event times fall in the 30 days
	// before it. Default time.Now().
	Now time.Time
}

// NewTemplates generates customers until Batches batches of BatchSize
// events are filled, grouping events by source (one write key per batch,
// as each system posts its own), in customer order.
func NewTemplates(o Options) (*Templates, error) {
	if o.Batches <= 0 {
		o.Batches = 500
	}
	if o.BatchSize <= 0 {
		o.BatchSize = 100
	}
	if o.Now.IsZero() {
		o.Now = time.Now()
	}
	o.Now = o.Now.UTC().Truncate(time.Millisecond)
	want := o.Batches * o.BatchSize
	pop := population.New(population.Config{Seed: o.Seed, Customers: 1 << 30, Start: o.Now.Add(-30 * 24 * time.Hour), End: o.Now, IDPrefix: Placeholder + "-"})
	bySource := map[string][]events.Event{}
	t := &Templates{run: uint32(o.Run)}
	flush := func(src string, evs []events.Event) error {
		body, err := Encode(evs, o.Now)
		if err != nil {
			return err
		}
		tp := Template{Source: src, Body: body, Events: len(evs)}
		for off := 0; ; {
			i := bytes.Index(body[off:], []byte(Placeholder))
			if i < 0 {
				break
			}
			tp.slots = append(tp.slots, off+i)
			off += i + len(Placeholder)
		}
		t.items = append(t.items, tp)
		t.events += len(evs)
		return nil
	}
	for c := 0; t.events < want; c++ {
		for _, ev := range pop.Journey(c) {
			s := append(bySource[ev.Source], ev)
			if len(s) == o.BatchSize {
				if err := flush(ev.Source, s); err != nil {
					return nil, err
				}
				s = s[:0]
			}
			bySource[ev.Source] = s
		}
	}
	return t, nil
}

// Len is the number of templates.
func (t *Templates) Len() int { return len(t.items) }

// EventsPerPass is the number of events in all templates.
func (t *Templates) EventsPerPass() int { return t.events }

// Template returns template i.
func (t *Templates) Template(i int) *Template { return &t.items[i] }

// Next returns the next body to post (written into buf, which is grown as
// needed), its source and number of events. Safe for concurrent use; every
// call yields distinct ids for the first 2^24 passes over the templates.
func (t *Templates) Next(buf []byte) (body []byte, source string, n int) {
	seq := t.next.Add(1) - 1
	tp := &t.items[seq%uint64(len(t.items))]
	pass := uint32(seq/uint64(len(t.items))) & 0xffffff
	buf = append(buf[:0], tp.Body...)
	var id [8]byte
	Stamp(id[:], t.run, pass)
	for _, off := range tp.slots {
		copy(buf[off:], id[:])
	}
	return buf, tp.Source, tp.Events
}

// Stamp writes the 8-character id of (run, pass) into dst: 2 hex digits of
// run's low byte, then 6 of pass.
func Stamp(dst []byte, run, pass uint32) {
	const hex = "0123456789abcdef"
	v := (run&0xff)<<24 | pass&0xffffff
	for i := 7; i >= 0; i-- {
		dst[i] = hex[v&15]
		v >>= 4
	}
}
