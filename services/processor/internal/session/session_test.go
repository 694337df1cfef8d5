package session

import (
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

var rules = Rules{Gap: 30 * time.Minute, MaxLength: 24 * time.Hour, Lateness: 30 * time.Minute}

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
			name:   "max length splits a busy session",
			rules:  Rules{Gap: 30 * time.Minute, MaxLength: time.Hour, Lateness: time.Minute},
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
	assert.Equal(t, SessionID("dev-1", "b"), s.ID(), "id comes from the opening event")
	assert.Equal(t, at(5), s.StartMs)
	assert.Equal(t, at(20), s.EndMs)
	assert.Equal(t, "app:/home", s.Entry())
	assert.Equal(t, "app", s.Channel())
	assert.Equal(t, "web:Order Completed", s.Exit())
	assert.True(t, s.Converted)
	assert.Equal(t, "u1", s.CustomerID)
	assert.Equal(t, uint64(3), s.Count)
}

// TestRebuildMatchesLiveState: sessions rebuilt from their stored
// aggregates (what the restore query returns) continue exactly like the live
// state: same sessions, and the next events land in the same sessions.
func TestRebuildMatchesLiveState(t *testing.T) {
	c := NewCustomer("k", 0)
	for i, m := range []int{0, 10, 70, 75, 200, 65} {
		id := string(rune('a' + i))
		rules.Assign(c, Input{EventID: id, TsMs: at(m), Touchpoint: "web:" + id, Channel: "web", CustomerID: "cust", Campaign: map[bool]string{true: "spring"}[i == 4]})
	}
	var stored []Stored
	for _, s := range c.Sessions {
		stored = append(stored, Stored{
			SessionID: s.ID(), StartMs: s.StartMs, EndMs: s.EndMs, Count: s.Count, Entry: s.Entry(), Exit: s.Exit(),
			Channel: s.Channel(), Campaign: s.Campaign(), Converted: s.Converted, CustomerID: s.CustomerID,
		})
	}
	stored = append(stored, Stored{SessionID: "not-ours", StartMs: at(-5), EndMs: at(-5), Count: 1})
	r := rules.Rebuild("k", stored, 0)
	require.Len(t, r.Sessions, len(c.Sessions), "foreign session ids are skipped")
	for i := range c.Sessions {
		want, got := *c.Sessions[i], *r.Sessions[i]
		want.dirty, want.standalone = false, false
		assert.Equal(t, want, got)
	}
	assert.Equal(t, c.Watermark, r.Watermark)
	for _, m := range []int{80, 230, 12} {
		id := fmt.Sprint("n", m)
		live, _ := rules.Assign(c, Input{EventID: id, TsMs: at(m)})
		rebuilt, _ := rules.Assign(r, Input{EventID: id, TsMs: at(m)})
		assert.Equal(t, live.ID(), rebuilt.ID(), "event at %d min", m)
		assert.Equal(t, live.Count, rebuilt.Count)
	}
}

// A replayed event's session is written again even when nothing about it
// changed: restored from the stored events after a crash that came between
// a flush's events and sessions inserts, its row is missing or behind.
func TestReplayedSessionIsWrittenAgain(t *testing.T) {
	r := rules.Rebuild("k", []Stored{{SessionID: SessionID("k", "e1"), StartMs: at(0), EndMs: at(5), Count: 3, CustomerID: "k"}}, 0)
	s := r.Sessions[0]
	require.False(t, s.dirty, "a restored session is clean")
	r.Replayed(s, "")
	assert.True(t, s.dirty)
	assert.Equal(t, uint64(3), s.Count, "a replay is not counted again")
	s.dirty = false
	r.Replayed(s, "user-9")
	assert.True(t, s.dirty)
	assert.Equal(t, "user-9", s.CustomerID, "the customer id follows a merge")
}

// TestCustomerSize: the estimate grows with sessions and a customer id
// other than the key, and does not count the key twice.
func TestCustomerSize(t *testing.T) {
	c := NewCustomer("device-0001", 0)
	empty := c.Size()
	rules.Assign(c, Input{EventID: "a", TsMs: at(0), CustomerID: "device-0001"})
	one := c.Size()
	assert.Greater(t, one, empty)
	rules.Assign(c, Input{EventID: "b", TsMs: at(100), CustomerID: "user-42"})
	assert.Greater(t, c.Size(), one+int64(len("user-42")))
	assert.Less(t, c.Size(), int64(600), "a key with two sessions fits in a few hundred bytes")
}

func TestRecentIDs(t *testing.T) {
	c := NewCustomer("k", 0)
	for i := range recentIDs + 1 {
		rules.Assign(c, Input{EventID: fmt.Sprint("e", i), TsMs: at(i)})
	}
	assert.False(t, c.recentlySeen("e0"), "only the newest ids are remembered")
	assert.True(t, c.recentlySeen(fmt.Sprint("e", recentIDs)))
	assert.False(t, c.recentlySeen("never"))
}

func TestPrune(t *testing.T) {
	c := &Customer{Key: "k"}
	old, _ := rules.Assign(c, Input{EventID: "a", TsMs: at(0)})
	oldID := old.ID()
	rules.Assign(c, Input{EventID: "b", TsMs: at(200)})
	assert.Equal(t, 0, rules.Prune(c), "dirty sessions are kept until written")
	for _, s := range c.Sessions {
		s.dirty = false
	}
	assert.Equal(t, 1, rules.Prune(c))
	require.Len(t, c.Sessions, 1)
	assert.Equal(t, at(30)+1, c.ValidFrom, "events up to the pruned end + gap need a reload")
	assert.NotEqual(t, oldID, c.Sessions[0].ID())
}
