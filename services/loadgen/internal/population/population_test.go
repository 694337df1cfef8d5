package population

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/cemhq/cem/pkg/events"
)

func TestJourneyDeterministic(t *testing.T) {
	a, b := New(Config{Seed: 7, Customers: 50}), New(Config{Seed: 7, Customers: 50})
	for i := range 50 {
		require.Equal(t, a.Journey(i), b.Journey(i), "customer %d", i)
	}
	c := New(Config{Seed: 8, Customers: 50})
	assert.NotEqual(t, a.Journey(3), c.Journey(3), "another seed, another journey")
}

func TestJourneyRealistic(t *testing.T) {
	p := New(Config{Seed: 1, Customers: 400})
	cfg := p.Config()
	names := map[string]int{}
	personas := map[Persona]int{}
	channels := map[string]int{}
	ids := map[string]bool{}
	for i := range 400 {
		personas[p.Customer(i).Persona]++
		evs := p.Journey(i)
		for j, e := range evs {
			require.False(t, ids[e.MessageID], "messageId %s repeats", e.MessageID)
			ids[e.MessageID] = true
			require.NotEmpty(t, e.CustomerKey())
			require.False(t, e.Timestamp.Before(cfg.Start) || !e.Timestamp.Before(cfg.End), "time %s outside the period", e.Timestamp)
			if j > 0 {
				require.False(t, e.Timestamp.Before(evs[j-1].Timestamp), "journey out of order")
			}
			if _, err := e.Reserved(); err != nil {
				t.Fatalf("%s: reserved properties: %v", e.Event, err)
			}
			names[e.DisplayName()]++
			channels[e.Channel()]++
		}
	}
	for _, n := range []string{events.OrderCompleted, events.TicketOpened, events.TicketResolved, events.NPSSubmitted, events.CSATSubmitted,
		events.ContractStarted, events.LoyaltyJoined, events.PointsEarned, events.ReferralSent, events.ProductViewed} {
		assert.Positive(t, names[n], n)
	}
	for _, ch := range []string{"web", "app", "phone", "email", "letter"} {
		assert.Positive(t, channels[ch], ch)
	}
	for _, ps := range []Persona{Loyal, Regular, Occasional, Churners, Sleepers, Browsers} {
		assert.Positive(t, personas[ps], ps)
	}
}

// TestJourneyValid decodes every event as the collector does: all of them
// pass the envelope and reserved-event schemas.
func TestJourneyValid(t *testing.T) {
	dec, err := events.NewDecoder(events.DefaultLimits())
	require.NoError(t, err)
	p := New(Config{Seed: 3, Customers: 60})
	for i := range 60 {
		for _, e := range p.Journey(i) {
			ce := e
			ce.Source, ce.Enrichment = "", events.Enrichment{}
			b, err := events.Marshal(&ce)
			require.NoError(t, err)
			body, err := dec.DecodeEvent(b, e.Type, e.ReceivedAt)
			require.NoError(t, err)
			require.Nil(t, body.Items[0].Err, "%s %s: %v", e.Type, e.Event, body.Items[0].Err)
		}
	}
}

func TestChurnersStopAndSleepersPause(t *testing.T) {
	p := New(Config{Seed: 1, Customers: 300})
	var churners, sleepers int
	for i := range 300 {
		c := p.Customer(i)
		evs := p.Journey(i)
		switch c.Persona {
		case Churners:
			churners++
			for _, e := range evs {
				// follow-ups (surveys, refunds) may trail by days
				assert.False(t, e.Timestamp.After(c.ChurnAt.Add(20*24*3600e9)), "churner active long after churn")
			}
		case Sleepers:
			sleepers++
			for _, e := range evs {
				if e.Timestamp.After(c.SleepFrom.Add(20*24*3600e9)) && e.Timestamp.Before(c.SleepTo.Add(-time.Second)) {
					t.Errorf("sleeper %d active at %s inside the silence %s..%s", i, e.Timestamp, c.SleepFrom, c.SleepTo)
				}
			}
		}
	}
	assert.Positive(t, churners)
	assert.Positive(t, sleepers)
}

func BenchmarkJourney(b *testing.B) {
	p := New(Config{Seed: 1, Customers: 1 << 20})
	n := 0
	for i := 0; b.Loop(); i++ {
		n += len(p.Journey(i))
	}
	b.ReportMetric(float64(n)/b.Elapsed().Seconds(), "events/s")
}

func TestOpeningIsTheStartOfTheJourney(t *testing.T) {
	p := New(Config{Seed: 3, Customers: 50})
	for i := range 50 {
		j, o := p.Journey(i), p.Opening(i, 2)
		if len(o) == 0 || len(o) > 2 {
			t.Fatalf("customer %d: %d opening events", i, len(o))
		}
		for k := range o {
			if o[k].MessageID != j[k].MessageID {
				t.Fatalf("customer %d event %d: opening %s, journey %s", i, k, o[k].MessageID, j[k].MessageID)
			}
		}
	}
}
