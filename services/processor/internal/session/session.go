package session

import (
	"crypto/sha256"
	"encoding/hex"
	"hash/fnv"
	"slices"
	"strings"
	"time"
	"unique"
	"unsafe"

	"github.com/cemhq/cem/services/processor/internal/recency"
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

// label is an interned string (touchpoints, channels and campaigns repeat
// across sessions and customers): 8 bytes per use, never a pointer into a
// decoded Kafka record.
type label = unique.Handle[string]

func intern(s string) label { return unique.Make(s) }

// Session is the state of one session: its aggregates, nothing per event.
type Session struct {
	id         [16]byte
	CustomerID string
	StartMs    int64
	EndMs      int64
	Count      uint64
	entry      label
	exit       label
	channel    label
	campaign   label
	Converted  bool
	standalone bool
	dirty      bool
	listed     bool // in the stage's dirty list (Stage.markDirty)
}

// ID is the session id: 32 hex characters (see SessionID).
func (s *Session) ID() string { return hex.EncodeToString(s.id[:]) }

// Entry is the touchpoint of the session's earliest event.
func (s *Session) Entry() string { return s.entry.Value() }

// Exit is the touchpoint of the session's latest event.
func (s *Session) Exit() string { return s.exit.Value() }

// Channel is the channel of the session's earliest event.
func (s *Session) Channel() string { return s.channel.Value() }

// Campaign is the campaign of the session (its first event carrying one).
func (s *Session) Campaign() string { return s.campaign.Value() }

// recentIDs is how many of a key's newest event ids a Customer remembers
// (as 64-bit hashes) so that a quick re-delivery of one of them (a client
// retry, whose skew-corrected time may be a few ms newer) is checked against
// the stored events instead of being counted again.
const recentIDs = 4

// Customer is the session state of one customer key.
type Customer struct {
	Key       string
	Sessions  []*Session // sorted by StartMs
	Watermark int64
	// ValidFrom is the earliest event time the in-memory sessions are
	// complete for: an event before it may belong to a session that was
	// never loaded or was pruned, so the stage reloads the key first.
	ValidFrom int64
	recent    [recentIDs]uint64
	next      uint8 // slot of recent written next
	hasEvents bool
	listed    bool  // in the stage's list of keys processed since Written
	seen      int64 // wall clock of the last event, Unix seconds
	size      int64 // Size as of the last flush, counted in Stage.bytes
	// Links place c in the stage's recency order (lru).
	recency.Links[Customer]
}

// NewCustomer returns the empty state of key (the string is cloned, so the
// state never pins the record it came from).
func NewCustomer(key string, validFrom int64) *Customer {
	return &Customer{Key: strings.Clone(key), ValidFrom: validFrom}
}

// SessionID is the deterministic id of a session opened by event eventID of
// customer key: 32 hex characters of SHA-256(key NUL eventID).
func SessionID(key, eventID string) string {
	id := sessionID(key, eventID)
	return hex.EncodeToString(id[:])
}

func sessionID(key, eventID string) (id [16]byte) {
	h := sha256.New()
	h.Write([]byte(key))
	h.Write([]byte{0})
	h.Write([]byte(eventID))
	copy(id[:], h.Sum(nil))
	return id
}

func idHash(eventID string) uint64 {
	h := fnv.New64a()
	_, _ = h.Write([]byte(eventID))
	return h.Sum64()
}

// recentlySeen reports whether eventID is one of the key's newest ids.
func (c *Customer) recentlySeen(eventID string) bool {
	h := idHash(eventID)
	return slices.Contains(c.recent[:], h) && h != 0
}

func (c *Customer) remember(eventID string) {
	c.recent[c.next] = idHash(eventID)
	c.next = (c.next + 1) % recentIDs
}

// Find returns the held session with the given hex id, or nil.
func (c *Customer) Find(id string) *Session {
	var b [16]byte
	if _, err := hex.Decode(b[:], []byte(id)); err != nil {
		return nil
	}
	for _, s := range c.Sessions {
		if s.id == b {
			return s
		}
	}
	return nil
}

// Assign places one new event into c's sessions and returns its session and
// whether the session was opened by this event. Replays are not Assign's
// concern: the stage recognises them against the stored events first.
func (r Rules) Assign(c *Customer, in Input) (s *Session, opened bool) {
	late := c.hasEvents && in.TsMs < c.Watermark-r.Lateness.Milliseconds()
	if !late {
		s = r.best(c, in)
	}
	if s == nil {
		tp := intern(in.Touchpoint)
		s = &Session{
			id: sessionID(c.Key, in.EventID), StartMs: in.TsMs, EndMs: in.TsMs, entry: tp, exit: tp,
			channel: intern(in.Channel), campaign: intern(in.Campaign), standalone: late,
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
	r.touch(c, s, in)
	c.remember(in.EventID)
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
		if s.standalone || (in.Campaign != "" && in.Campaign != s.Campaign()) {
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

func (r Rules) touch(c *Customer, s *Session, in Input) {
	s.dirty = true
	setCustomer(c, s, in.CustomerID)
	s.Count++
	if in.TsMs < s.StartMs {
		s.StartMs, s.entry, s.channel = in.TsMs, intern(in.Touchpoint), intern(in.Channel)
	}
	if in.TsMs >= s.EndMs {
		s.EndMs, s.exit = in.TsMs, intern(in.Touchpoint)
	}
	if in.Converted {
		s.Converted = true
	}
}

// setCustomer records the session's canonical customer id, sharing the
// key's string when they are equal and cloning it otherwise.
func setCustomer(c *Customer, s *Session, id string) {
	switch {
	case id == "" || id == s.CustomerID:
	case id == c.Key:
		s.CustomerID = c.Key
	default:
		s.CustomerID = strings.Clone(id)
	}
}

// Replayed records a re-delivered event of held session s: the aggregates
// already count it, and the customer id may have moved (a merge since). The
// session is written again all the same: its row may be missing or behind
// its events. A flush's events rows are inserted before its sessions rows
// (the pipeline writes them early), so a crash between the two leaves stored
// events whose session rows were never written; the replay restores those
// sessions from the events and only this write brings their rows level.
func (c *Customer) Replayed(s *Session, customerID string) {
	setCustomer(c, s, customerID) // keeps an empty or unchanged id as it is
	s.dirty = true
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
	if len(c.Sessions) == 0 {
		c.Sessions = nil
	}
	return n - len(c.Sessions)
}

// lruEntryBytes is what the stage's lru spends per key besides the
// Customer: its map slot (key header, pointer, control byte) with the
// map's load-factor and growth slack, about 48 bytes.
const lruEntryBytes = 48

// Size estimates the bytes c holds: the struct, its key, its session list
// and sessions (customer ids included, when not the key itself), and its
// LRU entry. Interned labels are shared and not counted. The stage keeps
// the sum under Config.MaxBytes; docs/benchmarks.md compares it with the
// measured heap per key.
func (c *Customer) Size() int64 {
	n := int64(unsafe.Sizeof(*c)) + int64(len(c.Key)) + lruEntryBytes + int64(cap(c.Sessions))*8
	for _, s := range c.Sessions {
		n += int64(unsafe.Sizeof(*s))
		if s.CustomerID != c.Key {
			n += int64(len(s.CustomerID))
		}
	}
	return n
}
