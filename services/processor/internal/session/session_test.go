package session

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

var rules = Rules{Gap: 30 * time.Minute, MaxLength: 24 * time.Hour, Lateness: 30 * time.Minute, MaxEventIDs: 100}

var t0 = time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC).UnixMilli()

func at(min int) int64 { return t0 + int64(min)*time.Minute.Milliseconds() }

type step struct {
	id       string
	min      int
	campaign string
	want     string // label of the expected session ("" = don't care)
}

func TestAssign(t *testing.T) {
	tests := []struct {
		name  string
		rules Rules
		steps []step
		// counts per session label, in order of opening
		counts map[string]uint64
	}{
		{
			name:   "gap splits",
			steps:  []step{{"a", 0, "", "s1"}, {"b", 20, "", "s1"}, {"c", 51, "", "s2"}, {"d", 80, "", "s2"}},
			counts: map[string]uint64{"s1": 2, "s2": 2},
		},
		{
			name:   "exactly the gap stays",
			steps:  []step{{"a", 0, "", "s1"}, {"b", 30, "", "s1"}},
			counts: map[string]uint64{"s1": 2},
		},
		{
			name:   "new campaign starts a session, no campaign continues it",
			steps:  []step{{"a", 0, "", "s1"}, {"b", 5, "spring", "s2"}, {"c", 6, "", "s2"}, {"d", 7, "spring", "s2"}, {"e", 8, "summer", "s3"}},
			counts: map[string]uint64{"s1": 1, "s2": 3, "s3": 1},
		},
		{
			name:   "late event within lateness lands in the earlier session",
			steps:  []step{{"a", 0, "", "s1"}, {"b", 10, "", "s1"}, {"c", 45, "", "s2"}, {"late", 20, "", "s1"}},
			counts: map[string]uint64{"s1": 3, "s2": 1},
		},
		{
			name:   "late event extends a session backwards",
			steps:  []step{{"a", 40, "", "s1"}, {"b", 50, "", "s1"}, {"late", 20, "", "s1"}},
			counts: map[string]uint64{"s1": 3},
		},
		{
			name:   "event beyond lateness gets its own session",
			steps:  []step{{"a", 0, "", "s1"}, {"b", 100, "", "s2"}, {"toolate", 5, "", "s3"}},
			counts: map[string]uint64{"s1": 1, "s2": 1, "s3": 1},
		},
		{
			name:   "replayed event is not counted twice",
			steps:  []step{{"a", 0, "", "s1"}, {"b", 5, "", "s1"}, {"a", 0, "", "s1"}, {"b", 5, "", "s1"}},
			counts: map[string]uint64{"s1": 2},
		},
		{
			name:   "max length splits a busy session",
			rules:  Rules{Gap: 30 * time.Minute, MaxLength: time.Hour, Lateness: time.Minute, MaxEventIDs: 100},
			steps:  []step{{"a", 0, "", "s1"}, {"b", 25, "", "s1"}, {"c", 50, "", "s1"}, {"d", 61, "", "s2"}},
			counts: map[string]uint64{"s1": 3, "s2": 1},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := rules
			if tt.rules.Gap != 0 {
				r = tt.rules
			}
			c := &Customer{Key: "k"}
			labels := map[string]*Session{}
			for _, st := range tt.steps {
				s, _ := r.Assign(c, Input{EventID: st.id, TsMs: at(st.min), Campaign: st.campaign, Touchpoint: "web:" + st.id})
				if prev, ok := labels[st.want]; ok {
					assert.Same(t, prev, s, "event %s", st.id)
				} else {
					for l, o := range labels {
						assert.NotSame(t, o, s, "event %s should not be in %s", st.id, l)
					}
					labels[st.want] = s
				}
			}
			require.Len(t, c.Sessions, len(tt.counts))
			for l, n := range tt.counts {
				assert.Equal(t, n, labels[l].Count, "count of %s", l)
			}
		})
	}
}

func TestAssignAggregates(t *testing.T) {
	c := &Customer{Key: "dev-1"}
	rules.Assign(c, Input{EventID: "b", TsMs: at(10), Touchpoint: "web:/cart", Channel: "web"})
	rules.Assign(c, Input{EventID: "c", TsMs: at(20), Touchpoint: "web:Order Completed", Channel: "web", Converted: true, CustomerID: "u1"})
	s, opened := rules.Assign(c, Input{EventID: "a", TsMs: at(5), Touchpoint: "app:/home", Channel: "app"})
	assert.False(t, opened)
	assert.Equal(t, SessionID("dev-1", "b"), s.ID, "id comes from the opening event")
	assert.Equal(t, at(5), s.StartMs)
	assert.Equal(t, at(20), s.EndMs)
	assert.Equal(t, "app:/home", s.Entry)
	assert.Equal(t, "app", s.Channel)
	assert.Equal(t, "web:Order Completed", s.Exit)
	assert.True(t, s.Converted)
	assert.Equal(t, "u1", s.CustomerID)
	assert.Equal(t, uint64(3), s.Count)
}

func TestRebuildMatchesLiveState(t *testing.T) {
	c := &Customer{Key: "k"}
	var stored []Stored
	for i, m := range []int{0, 10, 70, 75, 200, 65} {
		id := string(rune('a' + i))
		s, _ := rules.Assign(c, Input{EventID: id, TsMs: at(m), Touchpoint: "web:" + id, Channel: "web", CustomerID: "cust"})
		stored = append(stored, Stored{EventID: id, SessionID: s.ID, TsMs: at(m), Touchpoint: "web:" + id, Channel: "web", CustomerID: "cust"})
	}
	r := rules.Rebuild("k", stored, 0)
	require.Len(t, r.Sessions, len(c.Sessions))
	for i := range c.Sessions {
		want, got := *c.Sessions[i], *r.Sessions[i]
		want.dirty, want.standalone = false, false
		assert.Equal(t, want, got)
	}
	assert.Equal(t, c.Watermark, r.Watermark)
	// Replaying every stored event into the rebuilt state changes nothing.
	for _, e := range stored {
		s, opened := rules.Assign(r, Input{EventID: e.EventID, TsMs: e.TsMs, Touchpoint: e.Touchpoint, Channel: "web"})
		assert.False(t, opened)
		assert.Equal(t, e.SessionID, s.ID)
	}
	for i := range c.Sessions {
		assert.Equal(t, c.Sessions[i].Count, r.Sessions[i].Count)
	}
}

func TestPrune(t *testing.T) {
	c := &Customer{Key: "k"}
	old, _ := rules.Assign(c, Input{EventID: "a", TsMs: at(0)})
	rules.Assign(c, Input{EventID: "b", TsMs: at(200)})
	assert.Equal(t, 0, rules.Prune(c), "dirty sessions are kept until written")
	for _, s := range c.Sessions {
		s.dirty = false
	}
	assert.Equal(t, 1, rules.Prune(c))
	require.Len(t, c.Sessions, 1)
	assert.Equal(t, at(30)+1, c.ValidFrom, "events up to the pruned end + gap need a reload")
	assert.NotEqual(t, old.ID, c.Sessions[0].ID)
}
