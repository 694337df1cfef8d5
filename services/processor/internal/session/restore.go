package session

import (
	"cmp"
	"slices"
)

// Stored is one event of a key as read back from the events table.
type Stored struct {
	EventID    string
	SessionID  string
	TsMs       int64
	Touchpoint string
	Channel    string
	Campaign   string
	Converted  bool
	CustomerID string
}

// Rebuild returns the session state of key from its stored events (in any
// order): each distinct session id becomes a session with the aggregates of
// its events. Events without a session id are ignored. validFrom is the
// earliest event time the stored events are complete for (see
// Customer.ValidFrom).
func (r Rules) Rebuild(key string, stored []Stored, validFrom int64) *Customer {
	slices.SortStableFunc(stored, func(a, b Stored) int {
		return cmp.Or(cmp.Compare(a.TsMs, b.TsMs), cmp.Compare(a.EventID, b.EventID))
	})
	c := &Customer{Key: key, ValidFrom: validFrom}
	byID := map[string]*Session{}
	for _, e := range stored {
		if e.SessionID == "" {
			continue
		}
		s := byID[e.SessionID]
		if s == nil {
			s = &Session{
				ID: e.SessionID, Key: key, StartMs: e.TsMs, EndMs: e.TsMs,
				Entry: e.Touchpoint, Exit: e.Touchpoint, Channel: e.Channel, Campaign: e.Campaign,
				ids: map[uint64]struct{}{},
			}
			byID[e.SessionID] = s
			c.Sessions = append(c.Sessions, s)
		}
		s.Count++
		if len(s.ids) < r.MaxEventIDs {
			s.ids[idHash(e.EventID)] = struct{}{}
		}
		s.EndMs, s.Exit = e.TsMs, e.Touchpoint
		if s.Campaign == "" {
			s.Campaign = e.Campaign
		}
		if e.Converted {
			s.Converted = true
		}
		if e.CustomerID != "" {
			s.CustomerID = e.CustomerID
		}
		c.Watermark = e.TsMs
		c.hasEvents = true
	}
	return c
}
