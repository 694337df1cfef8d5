// Package dedup remembers recently accepted messageIds per source so that an
// SDK retry is answered as a duplicate and not produced again.
//
// Limits: it is per collector instance and in memory (a retry that reaches
// another instance, or arrives after a restart or after the window, is
// produced again). It is the first layer only: the processor's ClickHouse
// tables are keyed by the event id (source:messageId) and collapse replays,
// which is what makes duplicates invisible in query results.
package dedup

import (
	"time"

	"github.com/hashicorp/golang-lru/v2/expirable"
)

// Set is a size- and time-bounded set of (source, messageId) pairs: entries
// expire after the window, and beyond size entries the least recently used
// go first. Safe for concurrent use.
type Set struct {
	lru *expirable.LRU[string, struct{}]
}

// New returns a Set holding at most size ids for window each. size <= 0
// disables deduplication.
func New(size int, window time.Duration) *Set {
	if size <= 0 {
		return &Set{}
	}
	return &Set{lru: expirable.NewLRU[string, struct{}](size, nil, window)}
}

func key(source, messageID string) string { return source + "\x00" + messageID }

// Seen reports whether the id was added within the window.
func (s *Set) Seen(source, messageID string) bool {
	if s.lru == nil {
		return false
	}
	_, ok := s.lru.Get(key(source, messageID))
	return ok
}

// Add records ids as accepted (call it only after Kafka acknowledged them).
func (s *Set) Add(source string, messageIDs ...string) {
	if s.lru == nil {
		return
	}
	for _, id := range messageIDs {
		s.lru.Add(key(source, id), struct{}{})
	}
}

// Len is the number of ids held.
func (s *Set) Len() int {
	if s.lru == nil {
		return 0
	}
	return s.lru.Len()
}
