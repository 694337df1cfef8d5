package scores

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"slices"
	"sort"
	"time"
)

// Archetypes of the generated population.
const (
	kindFiller     = "filler"
	kindPromoter   = "promoter"
	kindDetractor  = "detractor"
	kindSleeper    = "sleeper"
	kindChurner    = "churner"
	kindAdvocate   = "advocate"
	kindChampion   = "champion"
	kindNew        = "new"
	kindComplainer = "complainer"
)

var genNow = time.Date(2025, 6, 15, 12, 0, 0, 0, time.UTC)

// genEvent is one generated event, shaped like a row of the events table.
type genEvent struct {
	ID, Key, CustomerID, AnonID, UserID, Type, Event, Source, Channel, Touchpoint, SessionID string
	At, Received                                                                             time.Time
	Score                                                                                    *float64
	Revenue                                                                                  float64
	OrderID, TicketID, TicketChannel, ContractID                                             string
	ContractEnd                                                                              time.Time
	Props, Traits                                                                            string
}

type genCustomer struct {
	ID, Anon, Kind string
}

type population struct {
	now       time.Time
	customers []genCustomer
	events    []genEvent
}

type custGen struct {
	p   *population
	c   genCustomer
	rng *rand.Rand
	n   int
}

// generate builds a deterministic population: every archetype's customers
// are built to be classified as that archetype at now.
func generate(seed uint64, now time.Time) *population {
	p := &population{now: now}
	rng := rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
	counts := []struct {
		kind string
		n    int
	}{
		{kindFiller, 40}, {kindPromoter, 5}, {kindDetractor, 5}, {kindSleeper, 5}, {kindChurner, 5},
		{kindAdvocate, 5}, {kindChampion, 5}, {kindNew, 5}, {kindComplainer, 3},
	}
	for _, k := range counts {
		for i := range k.n {
			c := genCustomer{ID: fmt.Sprintf("u-%s-%02d", k.kind, i), Anon: fmt.Sprintf("a-%s-%02d", k.kind, i), Kind: k.kind}
			p.customers = append(p.customers, c)
			g := &custGen{p: p, c: c, rng: rng}
			g.build()
		}
	}
	sort.SliceStable(p.events, func(i, j int) bool { return p.events[i].At.Before(p.events[j].At) })
	return p
}

func (g *custGen) daysAgo(d float64) time.Time {
	return g.p.now.Add(-time.Duration(d * float64(24*time.Hour))).Truncate(time.Second)
}

func (g *custGen) between(lo, hi float64) float64 { return lo + g.rng.Float64()*(hi-lo) }

func (g *custGen) add(e genEvent) {
	g.n++
	e.ID = fmt.Sprintf("test:%s-%04d", g.c.ID, g.n)
	if e.Type == "" {
		e.Type = "track"
	}
	if e.Source == "" {
		e.Source = "test"
	}
	if e.Key == "" {
		e.Key, e.UserID = g.c.ID, g.c.ID
	}
	e.CustomerID = e.Key // write-time hint; canonical resolution happens at read time
	if e.Channel == "" {
		e.Channel = "web"
	}
	what := e.Event
	if e.Type == "page" {
		what = "/home"
	}
	if e.Touchpoint == "" {
		e.Touchpoint = e.Channel + ":" + what
	}
	if e.Received.IsZero() {
		e.Received = e.At
	}
	e.SessionID = e.Key + ":" + e.At.Format(time.DateOnly)
	if e.Props == "" {
		e.Props = "{}"
	}
	if e.Traits == "" {
		e.Traits = "{}"
	}
	g.p.events = append(g.p.events, e)
}

// page adds an anonymous page view (stitched to the customer by identify).
func (g *custGen) page(at time.Time) {
	g.add(genEvent{Type: "page", Key: g.c.Anon, AnonID: g.c.Anon, At: at})
}

func (g *custGen) track(event string, at time.Time, mod func(*genEvent)) {
	e := genEvent{Event: event, At: at}
	if mod != nil {
		mod(&e)
	}
	g.add(e)
}

func (g *custGen) survey(event string, score float64, at time.Time, channel string) {
	g.track(event, at, func(e *genEvent) {
		e.Score, e.Channel = &score, channel
		e.Props = fmt.Sprintf(`{"score":%g,"touchpoint":"%s:checkout"}`, score, channel)
	})
}

func (g *custGen) order(at time.Time, revenue float64) {
	g.track(EvOrder, at, func(e *genEvent) {
		e.Revenue, e.OrderID = revenue, fmt.Sprintf("o-%s-%d", g.c.ID, g.n)
		e.Props = fmt.Sprintf(`{"order_id":"%s","revenue":%g,"currency":"EUR","products":[{"product_id":"p%d","name":"Product %d"}]}`,
			e.OrderID, revenue, g.n%7, g.n%7)
	})
}

// regular: page views every gapLo-gapHi days from fromDays ago to toDays
// ago, an identify at the start, orders every orderLo-orderHi days until
// lastOrder days ago.
func (g *custGen) regular(fromDays, toDays, gapLo, gapHi, lastOrder, orderLo, orderHi, revLo, revHi float64) {
	g.add(genEvent{Type: "identify", Key: g.c.Anon, AnonID: g.c.Anon, UserID: g.c.ID, At: g.daysAgo(fromDays + 1),
		Traits: fmt.Sprintf(`{"name":"%s","email":"%s@example.com","consent":true}`, g.c.ID, g.c.ID)})
	for d := fromDays; d > toDays; d -= g.between(gapLo, gapHi) {
		g.page(g.daysAgo(d))
	}
	g.page(g.daysAgo(toDays))
	if lastOrder < 0 {
		return
	}
	var orders []float64
	for d := lastOrder; d < fromDays; d += g.between(orderLo, orderHi) {
		orders = append(orders, d)
	}
	for _, d := range orders {
		g.order(g.daysAgo(d), float64(int(g.between(revLo, revHi)*100))/100)
	}
}

func (g *custGen) base() {
	g.regular(300, g.between(0, 3), 5, 9, g.between(5, 20), 25, 40, 20, 80)
}

func (g *custGen) build() {
	channels := []string{"web", "email", "app"}
	ch := func() string { return channels[g.rng.IntN(len(channels))] }
	switch g.c.Kind {
	case kindFiller:
		g.base()
		g.survey(EvNPS, float64(7+g.rng.IntN(2)), g.daysAgo(g.between(30, 90)), ch())
		g.survey(EvCSAT, float64(1+g.rng.IntN(5)), g.daysAgo(g.between(10, 90)), ch())
		g.survey(EvCES, float64(1+g.rng.IntN(7)), g.daysAgo(g.between(10, 90)), ch())
	case kindPromoter:
		g.base()
		g.survey(EvNPS, float64(9+g.rng.IntN(2)), g.daysAgo(g.between(5, 30)), ch())
	case kindDetractor:
		g.base()
		g.survey(EvNPS, 9, g.daysAgo(100), ch())
		at := g.p.now.Add(-3 * time.Hour)
		g.survey(EvNPS, float64(g.rng.IntN(7)), at, ch())
		g.track(EvTicketOpened, g.daysAgo(10), func(e *genEvent) { e.TicketID, e.TicketChannel, e.Channel = "t-"+g.c.ID, "phone", "phone" })
	case kindSleeper:
		g.regular(200, g.between(38, 44), 3, 5, 60, 30, 40, 20, 80)
		g.track(EvPaymentFailed, g.daysAgo(50), nil)
	case kindChurner:
		g.base()
		end := g.p.now.Add(21 * 24 * time.Hour)
		g.track(EvContractStarted, g.daysAgo(344), func(e *genEvent) { e.ContractID, e.ContractEnd = "c-"+g.c.ID, end })
		g.survey(EvNPS, 3, g.daysAgo(20), ch())
	case kindAdvocate:
		g.base()
		g.survey(EvNPS, 10, g.daysAgo(40), ch())
		g.track(EvReferralSent, g.daysAgo(35), nil)
		g.track(EvReferralConverted, g.daysAgo(30), nil)
	case kindChampion:
		g.regular(300, g.between(0, 1), 2, 3, g.between(1, 2), 4, 6, 150, 300)
		g.track(EvTicketOpened, g.daysAgo(20), func(e *genEvent) { e.TicketID, e.TicketChannel = "t-"+g.c.ID, "email" })
		g.track(EvTicketReplied, g.daysAgo(19.9), func(e *genEvent) { e.TicketID, e.TicketChannel = "t-"+g.c.ID, "email" })
		g.track(EvTicketResolved, g.daysAgo(19.5), func(e *genEvent) { e.TicketID, e.TicketChannel = "t-"+g.c.ID, "email" })
	case kindNew:
		first := g.between(3, 10)
		g.add(genEvent{Type: "identify", Key: g.c.Anon, AnonID: g.c.Anon, UserID: g.c.ID, At: g.daysAgo(first),
			Traits: `{"consent":false}`})
		g.page(g.daysAgo(first))
		g.page(g.daysAgo(first - 1))
	case kindComplainer:
		g.base()
		g.track(EvComplaint, g.p.now.Add(-2*time.Hour), func(e *genEvent) { e.Channel = "phone" })
	}
}

// kindOf returns the archetype of a customer id.
func (p *population) kindOf(id string) string {
	for _, c := range p.customers {
		if c.ID == id {
			return c.Kind
		}
	}
	return ""
}

// ofKind returns the ids of an archetype.
func (p *population) ofKind(kind string) []string {
	var out []string
	for _, c := range p.customers {
		if c.Kind == kind {
			out = append(out, c.ID)
		}
	}
	return out
}

// customerOf maps a key to its customer (the test knows the links).
func (p *population) customerOf(key string) string {
	for _, c := range p.customers {
		if c.ID == key || c.Anon == key {
			return c.ID
		}
	}
	return key
}

// facts builds Facts the way ClickHouseStore.LoadFacts does, without
// ClickHouse: the test double of the loader.
func (p *population) facts(upTo time.Time) []*Facts {
	by := map[string]*Facts{}
	type agg struct {
		keys, sessions map[string]bool
		users          map[string]bool
		n              int
		first          time.Time
	}
	aggs := map[string]*agg{}
	act := map[[3]string]*Activity{}
	for _, e := range p.events {
		if e.At.After(upTo) {
			continue
		}
		id := p.customerOf(e.Key)
		a := aggs[id]
		if a == nil {
			a = &agg{keys: map[string]bool{}, sessions: map[string]bool{}, users: map[string]bool{}}
			aggs[id] = a
			by[id] = NewFacts(id)
		}
		a.keys[e.Key], a.sessions[e.SessionID] = true, true
		if e.UserID != "" {
			a.users[e.UserID] = true
		}
		a.n++
		if a.first.IsZero() || e.At.Before(a.first) {
			a.first = e.At
		}
		if (e.Type == "track" || e.Type == "page" || e.Type == "screen") && !slices.Contains(PassiveEvents, e.Event) {
			day := e.At.Truncate(24 * time.Hour)
			k := [3]string{id, day.String(), e.Channel}
			x := act[k]
			if x == nil {
				x = &Activity{Day: day, Channel: e.Channel}
				act[k] = x
			}
			x.Events++
			if e.At.After(x.Last) {
				x.Last = e.At
			}
		}
	}
	for k, x := range act {
		by[k[0]].AddActivity(*x)
	}
	for _, e := range p.events { // already in time order
		if e.At.After(upTo) || !(e.Type == "identify" || e.Type == "track" && slices.Contains(FactEvents, e.Event)) {
			continue
		}
		tp := e.Touchpoint
		var props struct {
			Touchpoint string `json:"touchpoint"`
		}
		if json.Unmarshal([]byte(e.Props), &props) == nil && props.Touchpoint != "" {
			tp = props.Touchpoint
		}
		by[p.customerOf(e.Key)].Add(Row{EventID: e.ID, Type: e.Type, Event: e.Event, At: e.At, ReceivedAt: e.Received,
			Source: e.Source, Channel: e.Channel, Touchpoint: tp, Score: e.Score, Revenue: e.Revenue, Currency: "EUR",
			OrderID: e.OrderID, TicketID: e.TicketID, TicketChannel: e.TicketChannel, ContractID: e.ContractID,
			ContractEnd: e.ContractEnd, Properties: e.Props, Traits: e.Traits})
	}
	var out []*Facts
	for id, f := range by {
		a := aggs[id]
		if len(a.users) == 0 {
			continue
		}
		var keys, users []string
		for k := range a.keys {
			keys = append(keys, k)
		}
		for u := range a.users {
			users = append(users, u)
		}
		f.SetSummary(Summary{IDs: union(keys, users), Events: a.n, Sessions: len(a.sessions), FirstSeen: a.first})
		f.Finish()
		out = append(out, f)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].CustomerID < out[j].CustomerID })
	return out
}
