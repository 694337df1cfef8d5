package pipeline

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/cemhq/cem/pkg/events"
	"github.com/cemhq/cem/pkg/record"
	"github.com/cemhq/cem/pkg/suppress"
	"github.com/cemhq/cem/services/processor/internal/sink"
	"github.com/cemhq/cem/services/processor/internal/stage"
)

// Publisher sends DLQ records. Publish returns nil once the broker has
// acknowledged every message, and an error only when ctx ends first.
type Publisher interface {
	Publish(ctx context.Context, recs []record.Record) error
}

// Writer writes blocks to ClickHouse (sink.Writer), safe for concurrent
// calls (the pipeline writes each stage's blocks concurrently): it retries
// until every block is written and returns an error when ctx ends first or ClickHouse
// rejects a block as such (sink.IsPermanent).
type Writer interface {
	Write(ctx context.Context, blocks []sink.Block) error
}

// Suppressor hands out the ids erased on request (suppress.List); a flush
// holds the list from its check until its rows are written.
type Suppressor = suppress.Holder

// Pipeline is the flush handler. Handle and Reset are not safe for
// concurrent use; Prepare is.
type Pipeline struct {
	suppress Suppressor
	stages   []stage.Stage
	w        Writer
	dlq      Publisher
	m        *Metrics
	log      *slog.Logger
	now      func() time.Time
}

// New returns a pipeline running stages in order.
func New(stages []stage.Stage, w Writer, dlq Publisher, m *Metrics, log *slog.Logger) *Pipeline {
	return &Pipeline{stages: stages, w: w, dlq: dlq, m: m, log: log, now: time.Now}
}

// Suppress makes the pipeline drop events of erased ids that were still in
// Kafka when their customer was erased (the collector refuses new ones),
// checked in the flush that would write them.
func (p *Pipeline) Suppress(s Suppressor) { p.suppress = s }

// Handle processes one flush. It returns nil when every row and DLQ record
// is written. Otherwise the stages may hold state ahead of ClickHouse and the
// caller must call Reset before the next Handle: the error is ctx's when ctx
// ended, else a permanent one (a statement ClickHouse rejects) that retrying
// cannot fix.
func (p *Pipeline) Handle(ctx context.Context, recs []record.Record) error {
	start := p.now()
	var erased suppress.Held
	if p.suppress != nil {
		erased = p.suppress.Hold()
		defer erased.Release()
	}
	evs := make([]*stage.Event, 0, len(recs))
	src := make([]record.Record, 0, len(recs))
	var dead []record.Record
	for _, m := range recs {
		d, ok := m.Decoded.(decoded)
		if !ok {
			d.ev, d.f = decode(m, p.now())
		}
		ev, f := d.ev, d.f
		if f != nil {
			dead = append(dead, p.failure(m, f))
			continue
		}
		if suppress.Event(erased, &ev.Event) {
			p.m.Suppressed.Inc()
			continue
		}
		evs, src = append(evs, ev), append(src, m)
	}
	decoded := p.now()
	// The stages load their state concurrently (each reads its own tables).
	lg, lctx := errgroup.WithContext(ctx)
	loads := make([]any, 2*len(p.stages)) // per stage: name, duration (debug log)
	for i, s := range p.stages {
		lg.Go(func() error {
			t := time.Now()
			if err := s.Load(lctx, evs); err != nil {
				return fmt.Errorf("load %s state: %w", s.Name(), err)
			}
			loads[2*i], loads[2*i+1] = "load_"+s.Name(), time.Since(t)
			return nil
		})
	}
	if err := lg.Wait(); err != nil {
		return err
	}
	loaded := p.now()
	for i, ev := range evs {
		for _, s := range p.stages {
			if err := process(s, ev); err != nil {
				dead = append(dead, p.failure(src[i], newFailure(src[i], &ev.Event, events.ReasonProcessing, err, p.now())))
				break
			}
		}
	}
	processed := p.now()
	// Each stage's blocks are built (Drain touches only the stage's own
	// state) and written in their order (identities after the tables they
	// index); the stages run concurrently: ClickHouse does most of the work.
	wg, wctx := errgroup.WithContext(ctx)
	for _, s := range p.stages {
		wg.Go(func() error { return p.w.Write(wctx, s.Drain()) })
	}
	if err := wg.Wait(); err != nil {
		return err
	}
	if len(dead) > 0 {
		if err := p.dlq.Publish(ctx, dead); err != nil {
			return fmt.Errorf("publish dlq: %w", err)
		}
	}
	for _, s := range p.stages {
		if aw, ok := s.(stage.AfterWriter); ok {
			if err := aw.AfterWrite(ctx); err != nil {
				return fmt.Errorf("%s after write: %w", s.Name(), err)
			}
		}
	}
	for _, s := range p.stages {
		s.Written()
	}
	now := p.now()
	p.log.Debug("flush written", append([]any{"events", len(evs), "dead", len(dead), "decode", decoded.Sub(start), "load", loaded.Sub(decoded),
		"process", processed.Sub(loaded), "write", now.Sub(processed)}, loads...)...)
	for _, ev := range evs {
		if !ev.Event.ReceivedAt.IsZero() {
			p.m.Latency.Observe(now.Sub(ev.Event.ReceivedAt).Seconds())
		}
	}
	return nil
}

// decoded is what Prepare made of a record.
type decoded struct {
	ev *stage.Event
	f  *events.Failure
}

// Prepare decodes r ahead of its flush (ingest.Preparer): the consumer's
// partition readers call it as records arrive, so decoding, the largest
// per-event cost, runs on every core and while the previous flush waits for
// ClickHouse. Safe for concurrent use; it reads no pipeline state.
func (p *Pipeline) Prepare(r *record.Record) {
	ev, f := decode(*r, p.now())
	r.Decoded = decoded{ev: ev, f: f}
}

// Reset drops every stage's in-memory state.
func (p *Pipeline) Reset() {
	for _, s := range p.stages {
		s.Reset()
	}
}

// process runs one stage on one event, turning a panic into an error so a
// poison event cannot crash the processor.
func process(s stage.Stage, ev *stage.Event) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("%s stage panicked: %v", s.Name(), r)
		}
	}()
	if err := s.Process(ev); err != nil {
		return fmt.Errorf("%s stage: %w", s.Name(), err)
	}
	return nil
}

func (p *Pipeline) failure(m record.Record, f *events.Failure) record.Record {
	p.m.DLQ.WithLabelValues(string(f.Reason)).Inc()
	p.log.Warn("poison message to dlq", "partition", m.Partition, "offset", m.Offset, "reason", f.Reason, "err", f.Error)
	return record.Record{Key: m.Key, Value: f.Encode()}
}
