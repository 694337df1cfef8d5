package identity

import (
	"context"
	"fmt"
	"github.com/cemhq/cem/pkg/junkid"
	"log/slog"
	"slices"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promauto"

	"github.com/cemhq/cem/services/processor/internal/sink"
	"github.com/cemhq/cem/services/processor/internal/stage"
)

// Config configures the identity stage.
type Config struct {
	// Junk are the ids that never link (junkid.New()).
	Junk junkid.Set
	// MaxClusters caps the clusters held in memory after a flush.
	MaxClusters int
}

// Querier reads from ClickHouse, retrying until ctx ends (sink.Writer).
type Querier interface {
	Query(ctx context.Context, scan func(driver.Rows) error, query string, args ...any) error
	DB() string
}

// Stage is the identity stage: it records links and fills
// Event.CustomerID. See the package doc.
type Stage struct {
	cfg     Config
	junk    junkid.Set
	q       Querier
	g       *Graph
	merges  prometheus.Counter
	refused *prometheus.CounterVec
	log     *slog.Logger
	now     func() time.Time
	version uint64
	rows    rows
	// userKeys are the userIds seen as customer keys (events without an
	// anonymousId) in the flush being processed, flightUserKeys in the one
	// whose rows are being written (probeUsers cannot read them yet).
	userKeys, flightUserKeys map[string]struct{}
}

var _ stage.Stage = (*Stage)(nil)

// NewStage returns an identity stage reading state through q and
// registering cem_processor_identity_merges_total and
// cem_processor_identity_links_refused_total on reg.
func NewStage(cfg Config, q Querier, reg prometheus.Registerer, log *slog.Logger) *Stage {
	return &Stage{
		cfg: cfg, junk: cfg.Junk, q: q, g: NewGraph(), log: log, now: time.Now,
		merges: promauto.With(reg).NewCounter(prometheus.CounterOpts{
			Name: "cem_processor_identity_merges_total",
			Help: "Identity clusters merged by identify, alias or implicit links.",
		}),
		refused: promauto.With(reg).NewCounterVec(prometheus.CounterOpts{
			Name: "cem_processor_identity_links_refused_total",
			Help: "Links refused because a client source (public write key) asked to move an id of another user's cluster, by cause: alias (a possible hijack attempt) or identify (also any event with both ids; a shared device logs in as a second user, too).",
		}, []string{"cause"}),
	}
}

// Name implements stage.Stage.
func (s *Stage) Name() string { return "identity" }

func (s *Stage) valid(id string) string {
	if s.junk.Is(id) {
		return ""
	}
	return id
}

// Prepare implements stage.Preparer: the event's ids without junk ids.
func (s *Stage) Prepare(ev *stage.Event) {
	e := &ev.Event
	ev.IDs = stage.IDs{Anon: s.valid(e.AnonymousID), User: s.valid(e.UserID), Prev: s.valid(e.PreviousID), Set: true}
}

// ids returns ev's prepared IDs, preparing them when the pipeline did not.
func (s *Stage) ids(ev *stage.Event) stage.IDs {
	if !ev.IDs.Set {
		s.Prepare(ev)
	}
	return ev.IDs
}

// Load implements stage.Stage: ids of the batch that are not held are read
// from identities, and the complete member lists of their customers from
// customer_ids, in one query each.
//
// Its reads do not wait for the previous flush's rows in flight
// (sink.Await): the clusters that flush used stay held (not re-read, not
// trimmed) until it is written, and its user keys are in flightUserKeys.
func (s *Stage) Load(ctx context.Context, batch []*stage.Event) error {
	ctx = sink.WithoutAwait(ctx)
	// Clusters span partitions, so another processor instance may have
	// changed a held cluster: re-read every cluster a link of this batch
	// touches, unless both ids are already in one held cluster (the link
	// changes nothing: after a login every event carries both ids, and
	// re-reading those made the identity load most of a flush's; such an
	// event reads the cache like any other) or the previous flush, not yet
	// written, used it.
	for _, ev := range batch {
		if from, user, _ := s.link(ev); from != "" && !s.linked(from, user) {
			for _, id := range []string{ev.Event.AnonymousID, ev.Event.PreviousID, ev.Event.UserID} {
				if c, ok := s.g.Peek(id); ok && !s.g.Pending(c) {
					s.g.Forget(id)
				}
			}
		}
	}
	missing := map[string]bool{} // id -> is a userId
	for _, ev := range batch {
		ids := s.ids(ev)
		for _, id := range []string{ids.Anon, ids.Prev, ids.User} {
			if id != "" {
				if _, ok := s.g.Lookup(id); !ok {
					missing[id] = missing[id] || id == ids.User
				}
			}
		}
	}
	if len(missing) > 0 {
		if err := s.loadClusters(ctx, missing); err != nil {
			return err
		}
	}
	return s.probeUsers(ctx, batch)
}

// linked reports whether ids a and b are in one held cluster.
func (s *Stage) linked(a, b string) bool {
	ca, ok := s.g.Peek(a)
	if !ok {
		return false
	}
	cb, ok := s.g.Peek(b)
	return ok && ca == cb
}

// loadClusters reads the clusters of the missing ids (id -> is a userId).
func (s *Stage) loadClusters(ctx context.Context, missing map[string]bool) error {
	ids := make([]string, 0, len(missing))
	for id := range missing {
		ids = append(ids, id)
	}
	owner, err := s.loadOwners(ctx, ids)
	if err != nil {
		return err
	}
	var custs []string
	seen := map[string]bool{}
	for _, c := range owner {
		if !seen[c] {
			seen[c] = true
			custs = append(custs, c)
		}
	}
	members, err := s.loadMembers(ctx, custs)
	if err != nil {
		return err
	}
	for _, c := range custs {
		m := append(members[c], c)
		for id, oc := range owner {
			if oc == c {
				m = append(m, id)
			}
		}
		s.g.Put(&Cluster{Canonical: c, Members: dedup(m), HasUser: true, Stored: true})
	}
	for id, user := range missing {
		if _, ok := s.g.Lookup(id); !ok {
			s.g.Put(&Cluster{Canonical: id, Members: []string{id}, HasUser: user})
		}
	}
	return nil
}

func (s *Stage) loadOwners(ctx context.Context, ids []string) (map[string]string, error) {
	owner := map[string]string{}
	for chunk := range slices.Chunk(ids, 5000) {
		q := fmt.Sprintf("SELECT id, argMax(customer_id, version) FROM %s.identities WHERE id IN ? GROUP BY id", s.q.DB())
		var got map[string]string
		err := s.q.Query(ctx, func(rows driver.Rows) error {
			got = map[string]string{}
			for rows.Next() {
				var id, c string
				if err := rows.Scan(&id, &c); err != nil {
					return fmt.Errorf("scan identity: %w", err)
				}
				got[id] = c
			}
			return nil
		}, q, sink.Set(chunk))
		if err != nil {
			return nil, fmt.Errorf("load identities: %w", err)
		}
		for k, v := range got {
			owner[k] = v
		}
	}
	return owner, nil
}

func (s *Stage) loadMembers(ctx context.Context, custs []string) (map[string][]string, error) {
	members := map[string][]string{}
	for chunk := range slices.Chunk(custs, 5000) {
		q := fmt.Sprintf("SELECT customer_id, id FROM %s.customer_ids FINAL WHERE customer_id IN ? AND deleted = 0", s.q.DB())
		var got map[string][]string
		err := s.q.Query(ctx, func(rows driver.Rows) error {
			got = map[string][]string{}
			for rows.Next() {
				var c, id string
				if err := rows.Scan(&c, &id); err != nil {
					return fmt.Errorf("scan customer id: %w", err)
				}
				got[c] = append(got[c], id)
			}
			return nil
		}, q, sink.Set(chunk))
		if err != nil {
			return nil, fmt.Errorf("load customer ids: %w", err)
		}
		for k, v := range got {
			members[k] = v
		}
	}
	return members, nil
}

// Process implements stage.Stage.
func (s *Stage) Process(ev *stage.Event) error {
	e := &ev.Event
	ids := s.ids(ev)
	anon, user := ids.Anon, ids.User
	if e.AnonymousID == "" && e.UserID != "" {
		if s.userKeys == nil {
			s.userKeys = map[string]struct{}{}
		}
		s.userKeys[e.UserID] = struct{}{}
	}
	var m *Merge
	switch from, to, alias := s.link(ev); {
	case from == "":
	case s.refuses(e, from, to):
		s.refused.WithLabelValues(linkCause(alias)).Inc()
		s.log.Debug("identity: link from a client source refused", "type", e.Type, "source", e.Source, "event_id", ev.ID)
	case alias:
		m = s.g.Alias(from, to)
	default:
		m = s.g.Identify(from, to, string(e.Type))
	}
	if m != nil {
		s.merges.Inc()
		s.record(m, ev)
	}
	switch {
	case user != "":
		ev.CustomerID = s.g.Customer(user)
	case anon != "":
		ev.CustomerID = s.g.Customer(anon)
	default:
		ev.CustomerID = ev.Key
	}
	return nil
}

func (s *Stage) nextVersion() uint64 {
	s.version = max(s.version+1, uint64(s.now().UnixNano()))
	return s.version
}

func (s *Stage) record(m *Merge, ev *stage.Event) {
	at := ev.Event.Timestamp.UTC().Truncate(time.Second)
	s.rows.merge(m, at, ev.TsMs, ev.ID, s.nextVersion())
	link := func(id string) {
		v := s.nextVersion()
		s.rows.identity(id, m.Customer, at, m.Cause, ev.ID, v)
		s.rows.member(m.Customer, id, false, v)
	}
	for _, id := range m.NewWinner {
		link(id)
	}
	for _, id := range m.Moved {
		if m.LoserStored {
			s.rows.member(m.FromCustomer, id, true, s.nextVersion())
		}
		link(id)
	}
}

// Drain implements stage.Stage: identity_merges, customer_ids, identities,
// in that order (identities last: it is what Load trusts).
func (s *Stage) Drain() []sink.Block {
	b := s.rows.blocks()
	s.rows = rows{}
	s.flightUserKeys, s.userKeys = s.userKeys, s.flightUserKeys
	clear(s.userKeys)
	s.g.Advance()
	return b
}

// Written implements stage.Stage: it trims the graph to MaxClusters (with
// flushes overlapped, it is called for the previous flush after this one
// was processed: clusters this one used stay).
func (s *Stage) Written() { s.g.Written(s.cfg.MaxClusters) }

// Reset implements stage.Stage.
func (s *Stage) Reset() {
	s.g.Reset()
	s.rows = rows{}
	clear(s.userKeys)
	clear(s.flightUserKeys)
}

func dedup(ids []string) []string {
	seen := make(map[string]bool, len(ids))
	out := ids[:0]
	for _, id := range ids {
		if !seen[id] {
			seen[id] = true
			out = append(out, id)
		}
	}
	return out
}
