package stage

import (
	"context"

	"github.com/cemhq/cem/services/processor/internal/sink"
)

// Stage is one step of the processor that keeps state and produces rows.
//
// The methods of one stage are never called concurrently. A flush calls
// every stage's Load once with the whole batch (the stages' Loads run
// concurrently: each reads its own state), then Process for each event in
// batch order, stage after stage, then Seal (a Sealer's) and Drain once,
// writes the returned blocks (each stage's in order, the stages'
// concurrently) and, only when every block of every stage is written, calls
// Written. When a flush is abandoned (shutdown or rebalance while
// ClickHouse is down) or the partition assignment changes, Reset is called
// instead: the stage must drop all in-memory state, since it may be ahead
// of what ClickHouse holds, and reload it on demand.
type Stage interface {
	// Name identifies the stage in logs.
	Name() string
	// Load fetches the state the batch needs and the stage does not hold,
	// typically in one query for all missing keys. It may block while
	// ClickHouse is unavailable and returns an error only when ctx ends.
	Load(ctx context.Context, batch []*Event) error
	// Process applies one event to the stage's state and may fill fields of
	// ev for later stages. An error marks the event as poison: it goes to the
	// DLQ with reason processing and later stages do not see it.
	Process(ev *Event) error
	// Drain returns the rows produced since the last Drain, one block per
	// table, in the order they must be written.
	Drain() []sink.Block
	// Written tells the stage that the drained rows are in ClickHouse; it may
	// now evict idle state.
	Written()
	// Reset drops all in-memory state.
	Reset()
}

// Preparer is a Stage that derives facts of an event before the flush's
// Load, on the goroutine that decoded it, while the event's bytes are still
// in the CPU's caches (a flush's later passes over 50k events read them
// from memory). Prepare reads only ev and the stage's configuration: the
// flush's events are decoded and prepared on every core at once.
type Preparer interface {
	Prepare(ev *Event)
}

// Sealer is a Stage whose blocks are final once the flush is processed:
// their rows depend only on the flush's events, not on state that the
// previous flush's AfterWrite or Written changes (the timeline's events
// rows). Seal is called after the flush's last Process and before the
// previous flush is complete; the pipeline builds (sink.Block.Build) and
// writes the sealed blocks at once, while the previous flush's writes may
// still run, which shortens the chain of flushes whose writes follow one
// another. They are written before the stage's Drain blocks, which wait
// for the previous flush to complete.
type Sealer interface {
	Seal() []sink.Block
}

// AfterWriter is a Stage that publishes what it derived outside ClickHouse
// (alerts to Kafka) once every block of the flush is written and before the
// offsets are committed. AfterWrite retries until it succeeds and returns an
// error only when ctx ends; the flush then counts as failed (Reset, redo),
// so a crash or failure between the write and the publish publishes on the
// replay.
type AfterWriter interface {
	AfterWrite(ctx context.Context) error
}
