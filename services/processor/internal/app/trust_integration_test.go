package app_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"

	"github.com/cemhq/cem/pkg/events"
	"github.com/cemhq/cem/pkg/itest"
)

// A client source (public write key) cannot move an existing user's ids:
// neither the cluster of a user who logged in on the web (identities rows)
// nor a user known only from a server source's userId events (no identities
// rows). The same alias from a server source works.
func TestSourceTrustIntegration(t *testing.T) {
	e := newEnv(t)
	p := e.start(e.config("cem-processor"))
	b := newEvb("web")
	server := func(src string) func(*events.Event) {
		return func(ev *events.Event) { ev.Source = src; ev.Enrichment.ServerSource = true }
	}
	prev := func(id string) func(*events.Event) { return func(ev *events.Event) { ev.PreviousID = id } }
	victims := []*events.Event{
		b.ev(events.TypeIdentify, "victim-device", "victim", 0),
		b.ev(events.TypeTrack, "", "crm-only", 1, named("Ticket Opened"), props(map[string]any{"ticket_id": "t-1"}), server("callcenter")),
		b.ev(events.TypeTrack, "attacker-device", "attacker", 2),
	}
	e.produce(victims...)
	e.waitEvents(uint64(len(victims)))
	// Identities are written concurrently with the events.
	itest.Eventually(t, 30*time.Second, func() bool {
		return e.customerOf("victim-device") == "victim" && e.customerOf("attacker-device") == "attacker"
	}, "the victims' own links stored")

	attacks := []*events.Event{
		b.ev(events.TypeAlias, "", "attacker", 10, prev("victim")),         // the hijack
		b.ev(events.TypeAlias, "", "attacker", 11, prev("victim-device")),  // a member of the victim's cluster
		b.ev(events.TypeAlias, "", "attacker", 12, prev("crm-only")),       // a user without identities rows
		b.ev(events.TypeIdentify, "crm-only", "attacker", 13),              // the same through identify
		b.ev(events.TypeAlias, "", "attacker", 14, prev("attacker-fresh")), // an id of nobody: linking it is fine
	}
	e.produce(attacks...)
	e.waitEvents(uint64(len(victims) + len(attacks)))
	itest.Eventually(t, 10*time.Second, func() bool {
		return metric(t, p.reg, "cem_processor_identity_links_refused_total", "alias") == 3 &&
			metric(t, p.reg, "cem_processor_identity_links_refused_total", "identify") == 1
	}, "three aliases and one identify refused and counted")
	// The allowed link of the same batch is stored once its flush is written.
	itest.Eventually(t, 30*time.Second, func() bool { return e.customerOf("attacker-fresh") == "attacker" }, "the fresh id linked")
	assert.Equal(t, "victim", e.customerOf("victim"))
	assert.Equal(t, "victim", e.customerOf("victim-device"))
	assert.Equal(t, "crm-only", e.customerOf("crm-only"))
	assert.Equal(t, uint64(0), e.count("SELECT count() FROM {db}.identity_merges FINAL WHERE from_customer_id IN ('victim', 'crm-only')"))

	// The CRM (a server source) may move them.
	e.produce(
		b.ev(events.TypeAlias, "", "victim-new", 20, prev("victim"), server("crm")),
		b.ev(events.TypeAlias, "", "victim-new", 21, prev("crm-only"), server("crm")),
	)
	itest.Eventually(t, 30*time.Second, func() bool {
		return e.customerOf("victim-device") == "victim-new" && e.customerOf("crm-only") == "victim-new"
	}, "server-source aliases applied")
	assert.Equal(t, 3.0, metric(t, p.reg, "cem_processor_identity_links_refused_total", "alias"), "nothing more refused")
}
