package session

import (
	"crypto/sha256"
	"encoding/hex"
	"hash/fnv"
	"slices"
	"time"
)

// Rules are the sessionization parameters.
type Rules struct {
	// Gap is the longest inactivity inside a session.
	Gap time.Duration
	// MaxLength is the longest a session may last.
	MaxLength time.Duration
	// Lateness is how far behind a key's watermark an event may be and still
	// join existing sessions.
	Lateness time.Duration
	// MaxEventIDs caps the event-id hashes tracked per session; replays of
	// events beyond the cap are counted again.
	MaxEventIDs int
}

// Input is what the sessionizer needs of one event.
type Input struct {
	EventID    string
	TsMs       int64
	Touchpoint string
	Channel    string
	Campaign   string
	Converted  bool
	CustomerID string
}

// Session is the state of one session.
type Session struct {
	ID         string
	Key        string
	CustomerID string
	StartMs    int64
	EndMs      int64
	Count      uint64
	Entry      string
	Exit       string
	Channel    string
	Campaign   string
	Converted  bool

	ids        map[uint64]struct{}
	standalone bool
	dirty      bool
}

// Customer is the session state of one customer key.
type Customer struct {
	Key       string
	Sessions  []*Session // sorted by StartMs
	Watermark int64
	// ValidFrom is the earliest event time the in-memory sessions are
	// complete for: an event before it may belong to (or be a replay of) a
	// session that was never loaded or was pruned, so the stage reloads the
	// key from ClickHouse first.
	ValidFrom int64
	hasEvents bool
	seen      time.Time
}

// SessionID is the deterministic id of a session opened by event eventID of
// customer key: 32 hex characters of SHA-256(key NUL eventID).
func SessionID(key, eventID string) string {
	h := sha256.New()
	h.Write([]byte(key))
	h.Write([]byte{0})
	h.Write([]byte(eventID))
	return hex.EncodeToString(h.Sum(nil)[:16])
}

func idHash(eventID string) uint64 {
	h := fnv.New64a()
	_, _ = h.Write([]byte(eventID))
	return h.Sum64()
}

// Assign places one event into c's sessions and returns its session and
// whether the session was opened by this event.
func (r Rules) Assign(c *Customer, in Input) (s *Session, opened bool) {
	h := idHash(in.EventID)
	for _, s := range c.Sessions {
		if _, ok := s.ids[h]; ok {
			r.touch(s, in, h, true)
			return s, false
		}
	}
	late := c.hasEvents && in.TsMs < c.Watermark-r.Lateness.Milliseconds()
	if !late {
		s = r.best(c, in)
	}
	if s == nil {
		s = &Session{
			ID: SessionID(c.Key, in.EventID), Key: c.Key,
			StartMs: in.TsMs, EndMs: in.TsMs, Entry: in.Touchpoint, Exit: in.Touchpoint,
			Channel: in.Channel, Campaign: in.Campaign, standalone: late,
			ids: map[uint64]struct{}{},
		}
		i, _ := slices.BinarySearchFunc(c.Sessions, s.StartMs, func(x *Session, t int64) int {
			if x.StartMs <= t {
				return -1
			}
			return 1
		})
		c.Sessions = slices.Insert(c.Sessions, i, s)
		opened = true
	}
	r.touch(s, in, h, false)
	if !c.hasEvents || in.TsMs > c.Watermark {
		c.Watermark = in.TsMs
	}
	c.hasEvents = true
	return s, opened
}

// best returns the session in joins, or nil: the one containing the event's
// time, else the nearest within Gap, subject to MaxLength and campaign.
func (r Rules) best(c *Customer, in Input) *Session {
	var best *Session
	bestDist := int64(-1)
	gap, maxLen := r.Gap.Milliseconds(), r.MaxLength.Milliseconds()
	for _, s := range c.Sessions {
		if s.standalone || (in.Campaign != "" && in.Campaign != s.Campaign) {
			continue
		}
		var dist int64
		switch {
		case in.TsMs < s.StartMs:
			dist = s.StartMs - in.TsMs
		case in.TsMs > s.EndMs:
			dist = in.TsMs - s.EndMs
		}
		if dist > gap || max(s.EndMs, in.TsMs)-min(s.StartMs, in.TsMs) > maxLen {
			continue
		}
		if bestDist < 0 || dist < bestDist {
			best, bestDist = s, dist
		}
	}
	return best
}

func (r Rules) touch(s *Session, in Input, h uint64, dup bool) {
	s.dirty = true
	if in.CustomerID != "" {
		s.CustomerID = in.CustomerID
	}
	if dup {
		return
	}
	s.Count++
	if len(s.ids) < r.MaxEventIDs {
		s.ids[h] = struct{}{}
	}
	if in.TsMs < s.StartMs {
		s.StartMs, s.Entry, s.Channel = in.TsMs, in.Touchpoint, in.Channel
	}
	if in.TsMs >= s.EndMs {
		s.EndMs, s.Exit = in.TsMs, in.Touchpoint
	}
	if in.Converted {
		s.Converted = true
	}
}

// Prune drops the sessions of c that no acceptable event can join any more
// (ended more than Gap + Lateness before the watermark) and are not waiting
// to be written, and moves ValidFrom past them. It returns how many it
// dropped.
func (r Rules) Prune(c *Customer) int {
	gap := r.Gap.Milliseconds()
	horizon := c.Watermark - gap - r.Lateness.Milliseconds()
	n := len(c.Sessions)
	c.Sessions = slices.DeleteFunc(c.Sessions, func(s *Session) bool {
		if s.dirty || s.EndMs >= horizon {
			return false
		}
		c.ValidFrom = max(c.ValidFrom, s.EndMs+gap+1)
		return true
	})
	return n - len(c.Sessions)
}
