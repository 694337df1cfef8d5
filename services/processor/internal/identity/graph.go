package identity

import (
	"strings"

	"github.com/cemhq/cem/services/processor/internal/recency"
)

// Cluster is a set of linked ids with its canonical customer id.
type Cluster struct {
	Canonical string
	Members   []string
	// HasUser is true when the cluster contains a userId; every stored
	// cluster does.
	HasUser bool
	// Stored is true when the cluster's rows are in ClickHouse; then
	// Members is complete.
	Stored bool
	// Links place a held cluster in the graph's recency order.
	recency.Links[Cluster]
}

// Merge is one merge performed by Link.
type Merge struct {
	Cause        string
	FromID, ToID string // the two ids the event linked
	FromCustomer string // canonical id of the cluster that moved
	Customer     string // canonical id after the merge
	Moved        []string
	// Winner lists the winner's members when the winner was not stored
	// before (its rows must be written too).
	NewWinner []string
	// LoserStored is true when the moved cluster had stored rows (its
	// customer_ids entries need tombstones).
	LoserStored bool
}

// Graph is the in-memory identity graph: the held clusters in recency
// order, with an index from every member id to its cluster. A cluster's
// canonical id is always one of its members, so the index also finds a
// held cluster by its canonical id. Not safe for concurrent use.
type Graph struct {
	// order's generations are the stage's flushes: Written keeps the clusters
	// of flushes not yet written.
	order recency.List[Cluster, *Cluster]
	index map[string]*Cluster
}

// NewGraph returns an empty graph.
func NewGraph() *Graph {
	return &Graph{index: map[string]*Cluster{}}
}

// Peek returns the cluster of id, if held, without marking it used.
func (g *Graph) Peek(id string) (*Cluster, bool) {
	c, ok := g.index[id]
	return c, ok
}

// held returns the held cluster whose canonical id is id.
func (g *Graph) held(id string) (*Cluster, bool) {
	c, ok := g.index[id]
	if !ok || c.Canonical != id {
		return nil, false
	}
	return c, true
}

// evict drops c and the index entries that still point to it.
func (g *Graph) evict(c *Cluster) {
	g.order.Remove(c)
	for _, m := range c.Members {
		if g.index[m] == c {
			delete(g.index, m)
		}
	}
}

// Lookup returns the cluster of id, if held.
func (g *Graph) Lookup(id string) (*Cluster, bool) {
	c, ok := g.index[id]
	if ok {
		g.order.Touch(c)
	}
	return c, ok
}

// Put adds a cluster (loaded or new). A held cluster with the same canonical
// id is kept instead, and returned. Put clones the ids (a member equal to
// the canonical id shares its string), so a held cluster never pins the
// decoded Kafka record its ids came from.
func (g *Graph) Put(c *Cluster) *Cluster {
	if old, ok := g.held(c.Canonical); ok {
		g.order.Touch(old)
		return old
	}
	c.Canonical = strings.Clone(c.Canonical)
	for i, m := range c.Members {
		if m == c.Canonical {
			c.Members[i] = c.Canonical
		} else {
			c.Members[i] = strings.Clone(m)
		}
	}
	g.order.Touch(c)
	for _, m := range c.Members {
		g.index[m] = c
	}
	return c
}

// cluster returns the cluster of id, creating a singleton when unknown.
func (g *Graph) cluster(id string, user bool) *Cluster {
	if c, ok := g.Lookup(id); ok {
		return c
	}
	return g.Put(&Cluster{Canonical: id, Members: []string{id}, HasUser: user})
}

// Identify links an anonymous id to a userId (cause identify, or the call
// type for implicit links). It returns the merge, or nil when the ids were
// already linked or both clusters already have a userId.
func (g *Graph) Identify(anon, user, cause string) *Merge {
	ca, cu := g.cluster(anon, false), g.cluster(user, true)
	if ca == cu || ca.HasUser {
		return nil
	}
	return g.merge(ca, cu, cause, anon, user)
}

// Alias moves the cluster of previousID into the cluster of userID.
func (g *Graph) Alias(previousID, userID string) *Merge {
	cp, cu := g.cluster(previousID, false), g.cluster(userID, true)
	if cp == cu {
		return nil
	}
	return g.merge(cp, cu, "alias", previousID, userID)
}

func (g *Graph) merge(loser, winner *Cluster, cause, from, to string) *Merge {
	m := &Merge{
		Cause: cause, FromID: from, ToID: to,
		FromCustomer: loser.Canonical, Customer: winner.Canonical,
		Moved: loser.Members, LoserStored: loser.Stored,
	}
	if !winner.Stored {
		m.NewWinner = append([]string(nil), winner.Members...)
	}
	g.order.Remove(loser) // its index entries move to the winner below
	winner.Members = append(winner.Members, loser.Members...)
	winner.HasUser = true
	winner.Stored = true
	for _, id := range loser.Members {
		g.index[id] = winner
	}
	return m
}

// Customer returns the canonical id of id (id itself when unknown).
func (g *Graph) Customer(id string) string {
	if c, ok := g.Lookup(id); ok {
		return c.Canonical
	}
	return id
}

// Len is the number of clusters held.
func (g *Graph) Len() int { return g.order.Len() }

// Advance starts the next flush: the clusters it uses are pending.
func (g *Graph) Advance() { g.order.Advance() }

// Written marks the oldest flush not yet written as written and trims
// least recently used clusters until at most n remain, but none used by a
// flush not yet written (its rows may not be in ClickHouse).
func (g *Graph) Written(n int) {
	g.order.Complete()
	for g.order.Len() > n && !g.order.Pending(g.order.Oldest()) {
		g.evict(g.order.Oldest())
	}
}

// Pending reports whether c was used by a flush not yet written.
func (g *Graph) Pending(c *Cluster) bool { return g.order.Pending(c) }

// Forget drops the cluster of id (if held) with all its members.
func (g *Graph) Forget(id string) {
	if c, ok := g.index[id]; ok {
		g.evict(c)
	}
}

// Reset drops everything.
func (g *Graph) Reset() {
	g.order.Clear(nil)
	clear(g.index)
}
