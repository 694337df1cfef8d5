package pipeline

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/cemhq/cem/pkg/events"
	"github.com/cemhq/cem/pkg/record"
	"github.com/cemhq/cem/services/processor/internal/sink"
	"github.com/cemhq/cem/services/processor/internal/stage"
)

// sealStage seals one block per flush (its events' message ids, built by
// Build) and drains one more (the flush's size).
type sealStage struct {
	ids    []string
	builds chan string // the first message id of each sealed block built
}

func (s *sealStage) Name() string                               { return "seal" }
func (s *sealStage) Load(context.Context, []*stage.Event) error { return nil }
func (s *sealStage) Process(ev *stage.Event) error {
	s.ids = append(s.ids, ev.Event.MessageID)
	return nil
}
func (s *sealStage) Written() {}
func (s *sealStage) Reset()   { s.ids = nil }
func (s *sealStage) Seal() []sink.Block {
	ids := s.ids
	return []sink.Block{{Table: "sealed", Columns: []string{"message_id"}, Build: func() ([]any, int) {
		s.builds <- ids[0]
		return []any{ids}, len(ids)
	}}}
}
func (s *sealStage) Drain() []sink.Block {
	n := []uint64{uint64(len(s.ids))}
	s.ids = nil
	return []sink.Block{{Table: "drained", Columns: []string{"n"}, Data: []any{n}, Rows: 1}}
}

// gateWriter records the blocks of each Write (built, as sink.Writer
// builds them) and holds the first write until release is closed.
type gateWriter struct {
	mu      sync.Mutex
	writes  [][]sink.Block
	release chan struct{}
}

func (w *gateWriter) Write(ctx context.Context, blocks []sink.Block) error {
	for i := range blocks {
		if b := &blocks[i]; b.Build != nil { // as sink.Writer does
			b.Data, b.Rows = b.Build()
			b.Build = nil
		}
	}
	w.mu.Lock()
	w.writes = append(w.writes, blocks)
	first := len(w.writes) == 1
	w.mu.Unlock()
	if first {
		select {
		case <-w.release:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	return nil
}

type noDLQ struct{}

func (noDLQ) Publish(context.Context, []record.Record) error { return nil }

func flushOf(t *testing.T, first, n int) []record.Record {
	t.Helper()
	ts := time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC)
	recs := make([]record.Record, n)
	for i := range recs {
		ev := events.Event{Type: events.TypeTrack, MessageID: fmt.Sprintf("m%d", first+i), AnonymousID: "a1", Event: "Viewed",
			Timestamp: ts, ReceivedAt: ts, Source: "web"}
		v, err := events.AppendMarshal(nil, &ev)
		require.NoError(t, err)
		recs[i] = record.Record{Value: v, Offset: int64(first + i)}
	}
	return recs
}

// A sealed block is built while the previous flush's writes are still
// running, and written with its flush, before the stage's drained block.
func TestSealedBlocksBuildDuringPreviousWrite(t *testing.T) {
	st := &sealStage{builds: make(chan string, 2)}
	w := &gateWriter{release: make(chan struct{})}
	p := New([]stage.Stage{st}, w, noDLQ{}, NewMetrics(prometheus.NewRegistry()), slog.New(slog.DiscardHandler))
	ctx := t.Context()

	require.NoError(t, p.Handle(ctx, flushOf(t, 0, 3)))
	assert.Equal(t, "m0", <-st.builds) // the first flush waits for nothing

	second := make(chan error, 1)
	go func() { second <- p.Handle(ctx, flushOf(t, 3, 2)) }()
	select {
	case id := <-st.builds:
		assert.Equal(t, "m3", id, "the second flush's block is built while the first is written")
	case err := <-second:
		t.Fatalf("the second flush returned (%v) before the first one's write ended", err)
	case <-time.After(10 * time.Second):
		t.Fatal("the second flush's sealed block was not built while the first flush's write was held")
	}
	select {
	case err := <-second:
		t.Fatalf("the second flush returned (%v) before the first one's write ended", err)
	default:
	}
	close(w.release)
	require.NoError(t, <-second)
	require.NoError(t, p.Sync(ctx))

	require.Len(t, w.writes, 2)
	for i, want := range [][]string{{"m0", "m1", "m2"}, {"m3", "m4"}} {
		blocks := w.writes[i]
		require.Len(t, blocks, 2)
		assert.Equal(t, "sealed", blocks[0].Table)
		assert.Equal(t, []any{want}, blocks[0].Data)
		assert.Equal(t, "drained", blocks[1].Table)
		assert.Equal(t, []any{[]uint64{uint64(len(want))}}, blocks[1].Data)
	}
}
