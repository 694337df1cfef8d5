package identity

import (
	"context"
	"fmt"
	"slices"

	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"

	"github.com/cemhq/cem/pkg/events"
	"github.com/cemhq/cem/services/processor/internal/sink"
	"github.com/cemhq/cem/services/processor/internal/stage"
)

// Source trust. A client source's write key is public (a browser or app
// ships it), so anyone can send its events. Such an event may link an id
// that belongs to no user yet (an anonymous id) to a userId, as an
// identify after login does, but it never moves an id that belongs to a
// user's cluster: neither an alias whose previousId is an existing user's
// id (which would move the victim's whole cluster, profile and GDPR export
// into the sender's id) nor an identify whose anonymousId is one. Those
// links are refused (the event is still stored, under the sender's own
// ids) and counted in cem_processor_identity_links_refused_total. Only
// server sources (events.Enrichment.ServerSource, set by the collector
// from CEM_SERVER_SOURCES) may move existing users' identities.

// link returns the ids e asks to link: the id whose cluster would move
// (previousId of an alias, else the anonymousId) and the userId it would
// move to, both "" when e links nothing.
func (s *Stage) link(ev *stage.Event) (from, user string, alias bool) {
	ids := s.ids(ev)
	anon, user, prev := ids.Anon, ids.User, ids.Prev
	switch {
	case user == "":
		return "", "", false
	case ev.Event.Type == events.TypeAlias && prev != "":
		return prev, user, true
	case anon != "":
		return anon, user, false
	}
	return "", "", false
}

// refuses reports whether a link of e from id from to user must be refused:
// e comes from a client source and from already belongs to a user's
// cluster other than user's.
func (s *Stage) refuses(e *events.Event, from, user string) bool {
	if e.Enrichment.ServerSource {
		return false
	}
	cf, ok := s.g.Lookup(from)
	if !ok || !cf.HasUser {
		return false
	}
	cu, ok := s.g.Lookup(user)
	return !ok || cu != cf
}

// probeUsers marks as user clusters the clusters of ids that a client
// source's event of batch would move and that have no userId as far as
// identities knows, when the id occurs as a userId in events: a user known
// only from userId events (a CRM or call-centre customer who never logged
// in on a device) has no identities rows, and would otherwise look like an
// anonymous id anyone may take. One query per batch, on the events primary
// key, and only for first links from client sources.
func (s *Stage) probeUsers(ctx context.Context, batch []*stage.Event) error {
	var ids []string
	seen := map[string]bool{}
	for _, ev := range batch {
		if ev.Event.Enrichment.ServerSource {
			continue
		}
		from, _, _ := s.link(ev)
		if from == "" || seen[from] {
			continue
		}
		seen[from] = true
		if c, ok := s.g.Lookup(from); ok && !c.HasUser {
			if _, inFlight := s.flightUserKeys[from]; inFlight {
				c.HasUser = true // a userId key of the flush being written
				continue
			}
			ids = append(ids, from)
		}
	}
	for chunk := range slices.Chunk(ids, 5000) {
		q := fmt.Sprintf("SELECT DISTINCT customer_key FROM %s.events WHERE customer_key IN ? AND user_id = customer_key", s.q.DB())
		var users []string
		err := s.q.Query(ctx, func(rows driver.Rows) error {
			users = users[:0]
			for rows.Next() {
				var id string
				if err := rows.Scan(&id); err != nil {
					return fmt.Errorf("scan user id: %w", err)
				}
				users = append(users, id)
			}
			return nil
		}, q, sink.Set(chunk))
		if err != nil {
			return fmt.Errorf("probe user ids: %w", err)
		}
		for _, id := range users {
			if c, ok := s.g.Lookup(id); ok {
				c.HasUser = true
			}
		}
	}
	return nil
}

// linkCause is the cause label of a refused link.
func linkCause(alias bool) string {
	if alias {
		return "alias"
	}
	return "identify"
}
