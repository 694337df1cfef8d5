package timeline

import (
	"context"
	"time"

	"github.com/cemhq/cem/services/processor/internal/sink"
	"github.com/cemhq/cem/services/processor/internal/stage"
)

// Stage maps events to rows of the events table. It holds no state beyond
// the rows of the current flush.
type Stage struct {
	now     func() time.Time
	version uint64
	evs     []*stage.Event
}

var _ stage.Stage = (*Stage)(nil)

// NewStage returns the events table stage.
func NewStage() *Stage { return &Stage{now: time.Now} }

// Name implements stage.Stage.
func (s *Stage) Name() string { return "timeline" }

// Load implements stage.Stage; the stage needs no state.
func (s *Stage) Load(context.Context, []*stage.Event) error { return nil }

// Process implements stage.Stage.
func (s *Stage) Process(ev *stage.Event) error {
	s.evs = append(s.evs, ev)
	return nil
}

// Written implements stage.Stage.
func (s *Stage) Written() {}

// Reset implements stage.Stage.
func (s *Stage) Reset() { s.evs = nil }

// Drain implements stage.Stage: one events row per processed event.
func (s *Stage) Drain() []sink.Block {
	b := Rows(s.evs, s.nextVersion())
	s.evs = nil
	return []sink.Block{b}
}

func (s *Stage) nextVersion() uint64 {
	s.version = max(s.version+1, uint64(s.now().UnixNano()))
	return s.version
}

// Rows maps evs to one block of the events table with the given version.
func Rows(evs []*stage.Event, version uint64) sink.Block {
	n := len(evs)
	cols := make([]string, 0, len(strCols)+16)
	data := make([]any, 0, len(strCols)+16)
	for _, c := range strCols {
		col := make([]string, n)
		for i, e := range evs {
			col[i] = c.get(e)
		}
		cols, data = append(cols, c.name), append(data, col)
	}
	var (
		stamp, received                           = make([]time.Time, n), make([]time.Time, n)
		tsMs, origMs, sentMs, recvMs, contractEnd = make([]int64, n), make([]int64, n), make([]int64, n), make([]int64, n), make([]int64, n)
		isBot                                     = make([]uint8, n)
		score                                     = make([]*float64, n)
		revenue, weight                           = make([]float64, n), make([]float64, n)
		signal                                    = make([]string, n)
		versions                                  = make([]uint64, n)
	)
	for i, e := range evs {
		w := &e.Event
		stamp[i], tsMs[i] = secs(w.Timestamp), e.TsMs
		origMs[i], sentMs[i] = ms(w.OriginalTimestamp), ms(w.SentAt)
		received[i], recvMs[i] = secs(w.ReceivedAt), ms(w.ReceivedAt)
		if w.Enrichment.Bot {
			isBot[i] = 1
		}
		r := &e.Reserved
		score[i], revenue[i] = r.Score, r.Revenue
		contractEnd[i] = ms(r.ContractEnd)
		sig := SignalOf(e)
		signal[i], weight[i] = sig.Name, sig.Weight
		versions[i] = version
	}
	cols = append(cols, "timestamp", "ts_ms", "original_ts_ms", "sent_at_ms", "received_at", "received_ms",
		"is_bot", "score", "revenue", "contract_end_ms", "signal", "signal_weight", "version")
	data = append(data, stamp, tsMs, origMs, sentMs, received, recvMs, isBot, score, revenue, contractEnd, signal, weight, versions)
	return sink.Block{Table: "events", Columns: cols, Data: data, Rows: n}
}
