package session

import "github.com/cemhq/cem/services/processor/internal/recency"

// lru holds the stage's customers by key in recency order (the list is
// threaded through the Customers: recency.Links); its generations are the
// stage's flushes. Not safe for concurrent use.
type lru struct {
	m     map[string]*Customer
	order recency.List[Customer, *Customer]
	// evicted is called for every customer that leaves: RemoveOldest,
	// Purge and Add over an existing key.
	evicted func(*Customer)
}

func newLRU(evicted func(*Customer)) *lru {
	return &lru{m: map[string]*Customer{}, evicted: evicted}
}

// Len is the number of customers held.
func (l *lru) Len() int { return len(l.m) }

// Peek returns key's customer without marking it used.
func (l *lru) Peek(key string) (*Customer, bool) {
	c, ok := l.m[key]
	return c, ok
}

// Get returns key's customer and marks it the most recently used.
func (l *lru) Get(key string) (*Customer, bool) {
	c, ok := l.m[key]
	if ok {
		l.order.Touch(c)
	}
	return c, ok
}

// Add holds c as the most recently used, replacing (and evicting) a
// customer held under the same key.
func (l *lru) Add(c *Customer) {
	if old, ok := l.m[c.Key]; ok {
		l.drop(old)
	}
	l.m[c.Key] = c
	l.order.Touch(c)
}

// Oldest returns the least recently used customer (nil when empty).
func (l *lru) Oldest() *Customer { return l.order.Oldest() }

// RemoveOldest evicts the least recently used customer.
func (l *lru) RemoveOldest() {
	if c := l.order.Oldest(); c != nil {
		l.drop(c)
	}
}

// Purge evicts every customer.
func (l *lru) Purge() {
	l.order.Clear(l.evicted)
	clear(l.m)
}

func (l *lru) drop(c *Customer) {
	l.order.Remove(c)
	delete(l.m, c.Key)
	l.evicted(c)
}
