package scores

import (
	"context"
	"io"
	"log/slog"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/cemhq/cem/pkg/alerting"
	"github.com/cemhq/cem/pkg/suppress"
)

// erasedList is a suppression list that an erasure changes while the
// scorer runs; it counts the holds that are still open.
type erasedList struct {
	mu    sync.Mutex
	ids   map[string]bool
	holds int
}

func (l *erasedList) Suppressed(id string) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.ids[id]
}
func (l *erasedList) Hold() suppress.Held { l.mu.Lock(); l.holds++; l.mu.Unlock(); return l }
func (l *erasedList) Release()            { l.mu.Lock(); l.holds--; l.mu.Unlock() }

// eraseDuringLoad is a Store whose facts are loaded before the erasure:
// the erasure happens right after LoadFacts returns.
type eraseDuringLoad struct {
	facts  []*Facts
	erase  func()
	output *Output
}

func (s *eraseDuringLoad) LoadFacts(context.Context) ([]*Facts, error) {
	defer s.erase()
	return s.facts, nil
}
func (s *eraseDuringLoad) LoadState(context.Context, time.Time) (AlertState, error) {
	return AlertState{Cooldowns: alerting.NewCooldowns()}, nil
}
func (s *eraseDuringLoad) SnapshotTaken(context.Context, time.Time) (map[string]bool, error) {
	return map[string]bool{}, nil
}
func (s *eraseDuringLoad) Write(_ context.Context, out Output) error { s.output = &out; return nil }

type pubRecorder struct{ alerts []alerting.Alert }

func (p *pubRecorder) Publish(_ context.Context, a []alerting.Alert) error {
	p.alerts = append(p.alerts, a...)
	return nil
}

// TestScorerSkipsErasedAtWriteTime: a customer erased after the scorer
// loaded the facts gets no profile, score, snapshot or alert (contract
// ending, churn), written or published; the others do.
func TestScorerSkipsErasedAtWriteTime(t *testing.T) {
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	detractor := func(cust, id string) *Facts {
		f := NewFacts(cust)
		f.SetSummary(Summary{IDs: []string{cust, id}, Events: 2, FirstSeen: now.Add(-48 * time.Hour)})
		score := 2.0
		f.Add(Row{EventID: cust + "-nps", Type: "track", Event: "NPS Submitted", At: now.Add(-time.Hour), ReceivedAt: now.Add(-time.Hour), Score: &score})
		f.Add(Row{EventID: cust + "-c", Type: "track", Event: "Complaint Filed", At: now.Add(-time.Hour), ReceivedAt: now.Add(-time.Hour)})
		// A contract in its ending window raises a contract_ending alert.
		f.Add(Row{EventID: cust + "-k", Type: "track", Event: EvContractStarted, At: now.Add(-300 * 24 * time.Hour), ReceivedAt: now.Add(-300 * 24 * time.Hour),
			ContractID: "k-" + cust, ContractEnd: now.Add(10 * 24 * time.Hour)})
		f.Finish()
		return f
	}
	list := &erasedList{ids: map[string]bool{}}
	st := &eraseDuringLoad{
		facts: []*Facts{detractor("u-vera", "a-vera"), detractor("u-otto", "a-otto")},
		erase: func() { list.mu.Lock(); list.ids["a-vera"] = true; list.mu.Unlock() }, // erased by her anonymous id
	}
	pub := &pubRecorder{}
	m := NewMetrics(prometheus.NewRegistry())
	s, err := New(DefaultConfig(), Deps{Store: st, Publisher: pub, Suppression: list, Now: func() time.Time { return now }, Metrics: m,
		Log: slog.New(slog.NewTextHandler(io.Discard, nil))})
	require.NoError(t, err)
	rep, err := s.RunOnce(context.Background())
	require.NoError(t, err)

	require.NotNil(t, st.output)
	customers := func(rs []*Result) (out []string) {
		for _, r := range rs {
			out = append(out, r.CustomerID)
		}
		return out
	}
	assert.Equal(t, []string{"u-otto"}, customers(st.output.Results))
	assert.Equal(t, []string{"u-otto"}, customers(st.output.Snapshots))
	require.NotEmpty(t, st.output.Alerts, "Otto's alerts are raised")
	for _, a := range append(st.output.Alerts, pub.alerts...) {
		assert.Equal(t, "u-otto", a.CustomerID, "no alert of the erased customer is written or published")
	}
	assert.Len(t, pub.alerts, len(st.output.Alerts))
	assert.Equal(t, 1, rep.Customers)
	assert.Equal(t, 1.0, testutil.ToFloat64(m.Suppressed))
	assert.Zero(t, list.holds, "the hold is released after the writes")
}
