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

// A flush's sealed block is built and written while the previous flush's
// writes are still running; its drained block once the previous flush is
// complete.
func TestSealedBlocksWriteDuringPreviousWrite(t *testing.T) {
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
		assert.Equal(t, "m3", id, "the second flush's block is written while the first is")
	case err := <-second:
		t.Fatalf("the second flush returned (%v) before the first one's write ended", err)
	case <-time.After(10 * time.Second):
		t.Fatal("the second flush's sealed block was not written while the first flush's write was held")
	}
	select {
	case err := <-second:
		t.Fatalf("the second flush returned (%v) before the first one's write ended", err)
	default:
	}
	close(w.release)
	require.NoError(t, <-second)
	require.NoError(t, p.Sync(ctx))

	// One Write per stage and kind: flush 1's sealed block (held), flush
	// 2's sealed block, then the drained blocks in flush order.
	require.Len(t, w.writes, 4)
	for i, want := range []struct {
		table string
		data  any
	}{{"sealed", []string{"m0", "m1", "m2"}}, {"sealed", []string{"m3", "m4"}}, {"drained", []uint64{3}}, {"drained", []uint64{2}}} {
		require.Len(t, w.writes[i], 1)
		assert.Equal(t, want.table, w.writes[i][0].Table, "write %d", i)
		assert.Equal(t, []any{want.data}, w.writes[i][0].Data, "write %d", i)
	}
}
