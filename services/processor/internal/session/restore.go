package session

import (
	"cmp"
	"encoding/hex"
	"slices"
	"strings"
)

// Stored is one session of a key as aggregated back from the stored events:
// every distinct event id of the session counted once, whatever the number
// of its copies, and however long the session.
type Stored struct {
	SessionID  string
	StartMs    int64
	EndMs      int64
	Count      uint64
	Entry      string
	Exit       string
	Channel    string
	Campaign   string
	Converted  bool
	CustomerID string
}

// Rebuild returns the session state of key from its stored sessions (in any
// order). validFrom is the earliest event time the stored sessions are
// complete for (see Customer.ValidFrom). A stored session whose id is not
// one of ours (32 hex characters) is skipped: no event can join it.
func (r Rules) Rebuild(key string, stored []Stored, validFrom int64) *Customer {
	slices.SortFunc(stored, func(a, b Stored) int {
		return cmp.Or(cmp.Compare(a.StartMs, b.StartMs), strings.Compare(a.SessionID, b.SessionID))
	})
	c := NewCustomer(key, validFrom)
	for _, st := range stored {
		s := &Session{
			StartMs: st.StartMs, EndMs: st.EndMs, Count: st.Count,
			entry: intern(st.Entry), exit: intern(st.Exit), channel: intern(st.Channel), campaign: intern(st.Campaign),
			Converted: st.Converted,
		}
		if n, err := hex.Decode(s.id[:], []byte(st.SessionID)); err != nil || n != len(s.id) {
			continue
		}
		setCustomer(c, s, st.CustomerID)
		c.Sessions = append(c.Sessions, s)
		if !c.hasEvents || st.EndMs > c.Watermark {
			c.Watermark = st.EndMs
		}
		c.hasEvents = true
	}
	return c
}
