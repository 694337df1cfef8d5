package population

import (
	"fmt"
	"math"
	"math/rand/v2"
	"sort"
	"time"

	"github.com/cemhq/cem/pkg/events"
)

// Sources the generated events come from (one write key each).
const (
	SourceWeb     = "web"
	SourceApp     = "app"
	SourceSupport = "support"
	SourceSurvey  = "survey"
	SourceShop    = "shop"
	SourceCRM     = "crm"
)

// Sources lists every source in a stable order.
var Sources = []string{SourceWeb, SourceApp, SourceSupport, SourceSurvey, SourceShop, SourceCRM}

// gen builds one customer's journey.
type gen struct {
	p   *Population
	c   Customer
	r   *rand.Rand
	end time.Time
	out []events.Event
	seq int
	ip  string

	loggedIn    []bool // per browser
	appLoggedIn bool
	orders      int
	points      float64
	tier        string
	loyalty     bool
	contractID  string
	contractEnd time.Time
	openTickets int
	referralSeq int
	ticketSeq   int
}

// Journey returns every event of customer i in event-time order. Events are
// complete as the collector would have produced them (Source, ReceivedAt,
// Timestamp, Enrichment set); Batch encoders drop what an SDK does not send.
func (p *Population) Journey(i int) []events.Event {
	g := p.newGen(i)
	g.run()
	sort.SliceStable(g.out, func(a, b int) bool { return g.out[a].Timestamp.Before(g.out[b].Timestamp) })
	return g.out
}

// Opening returns the first (at most n) events of customer i's first web
// session, which are also the first n events of Journey(i), at a fraction
// of its cost: the processor's scale test needs many keys with few events.
func (p *Population) Opening(i, n int) []events.Event {
	g := p.newGen(i)
	g.webSession(g.daytime(g.c.FirstSeen), 0, true)
	sort.SliceStable(g.out, func(a, b int) bool { return g.out[a].Timestamp.Before(g.out[b].Timestamp) })
	return g.out[:min(n, len(g.out))]
}

func (p *Population) newGen(i int) *gen {
	c := p.Customer(i)
	r := p.rng(i, 1)
	g := &gen{p: p, c: c, r: r, end: p.cfg.End, loggedIn: make([]bool, len(c.WebAnon))}
	g.ip = fmt.Sprintf("%d.%d.%d.%d", 80+r.IntN(100), r.IntN(256), r.IntN(256), 1+r.IntN(254))
	if !c.ChurnAt.IsZero() {
		g.end = c.ChurnAt
	}
	return g
}

// Events returns the number of events Journey(i) yields (it generates them).
func (p *Population) Events(i int) int { return len(p.Journey(i)) }

func (g *gen) run() {
	t := g.daytime(g.c.FirstSeen)
	g.webSession(t, 0, true)
	for {
		gap := time.Duration(g.r.ExpFloat64() * g.c.RhythmDays * 24 * float64(time.Hour))
		t = g.daytime(t.Add(gap + 30*time.Minute))
		if !g.c.SleepFrom.IsZero() && !t.Before(g.c.SleepFrom) && t.Before(g.c.SleepTo) {
			t = g.daytime(g.c.SleepTo)
		}
		if !t.Before(g.end) {
			break
		}
		if g.contractID != "" && t.After(g.contractEnd.Add(-30*24*time.Hour)) {
			g.renewContract(t)
		}
		g.activity(t)
	}
	if !g.c.ChurnAt.IsZero() && g.c.ChurnAt.Before(g.p.cfg.End) {
		g.churn(g.daytime(g.c.ChurnAt))
	}
}

// activity is one visit or contact at t.
func (g *gen) activity(t time.Time) {
	x := g.r.IntN(100)
	churnerBoost := 0
	if g.c.Persona == Churners {
		churnerBoost = 6
	}
	switch {
	case g.c.Persona == Browsers:
		g.webSession(t, g.r.IntN(len(g.c.WebAnon)), false)
	case x < 8+churnerBoost:
		g.ticket(t)
	case x < 13+churnerBoost:
		g.survey(t, events.NPSSubmitted)
	case x < 38+churnerBoost && g.c.AppAnon != "":
		g.appSession(t)
	default:
		g.webSession(t, g.r.IntN(len(g.c.WebAnon)), false)
	}
}

// daytime moves t into waking hours (7-23 h UTC+1) the same day or the next.
func (g *gen) daytime(t time.Time) time.Time {
	h := t.Hour()
	if h >= 6 && h < 22 {
		return t
	}
	day := t.Truncate(24 * time.Hour)
	if h >= 22 {
		day = day.Add(24 * time.Hour)
	}
	return day.Add(time.Duration(6+g.r.IntN(15))*time.Hour + time.Duration(g.r.IntN(3600))*time.Second)
}

func (g *gen) secs(lo, hi int) time.Duration {
	return time.Duration(lo+g.r.IntN(hi-lo+1)) * time.Second
}

// base returns a new event of g's customer at t.
func (g *gen) base(t time.Time, typ events.Type, source string) events.Event {
	g.seq++
	t = t.UTC().Truncate(time.Millisecond)
	recv := t.Add(time.Duration(50+g.r.IntN(900)) * time.Millisecond)
	return events.Event{
		Type: typ, MessageID: fmt.Sprintf("%smsg-%08d-%06d", g.p.cfg.IDPrefix, g.c.Index, g.seq),
		Timestamp: t, OriginalTimestamp: t, SentAt: recv.Add(-20 * time.Millisecond), ReceivedAt: recv, Source: source,
		Context: events.Context{Locale: locales[g.c.locale].locale, Timezone: locales[g.c.locale].tz},
	}
}

func (g *gen) emit(ev events.Event) {
	if ev.Timestamp.Before(g.p.cfg.End) {
		g.out = append(g.out, ev)
	}
}

// server returns an event sent by a back-office system by userId only.
func (g *gen) server(t time.Time, source, channel, name string, props []byte) events.Event {
	ev := g.base(t, events.TypeTrack, source)
	ev.UserID, ev.Event, ev.Properties = g.c.UserID, name, props
	ev.Context.Channel = channel
	ev.Context.Library = &events.LibraryContext{Name: "analytics-go", Version: "3.3.0"}
	return ev
}

// score draws a survey answer in [lo, hi] centred by the customer's mood.
func (g *gen) score(lo, hi int, centre float64) int {
	v := centre + float64(g.c.Mood)*float64(hi-lo)/10 + g.r.NormFloat64()*float64(hi-lo)/6
	return max(lo, min(hi, int(math.Round(v))))
}

func (g *gen) survey(t time.Time, name string) {
	o := newObj()
	switch name {
	case events.NPSSubmitted:
		o.int("score", g.score(0, 10, 7.5))
	case events.CSATSubmitted:
		o.int("score", g.score(1, 5, 3.8))
	case events.CESSubmitted:
		o.int("score", g.score(1, 7, 5))
	}
	if cm := comments[g.r.IntN(len(comments))]; cm != "" {
		o.str("comment", cm)
	}
	o.str("survey_id", fmt.Sprintf("srv-%s-%d", name[:3], t.Year()*100+int(t.Month())))
	g.emit(g.server(t, SourceSurvey, "email", name, o.done()))
	if name == events.NPSSubmitted && g.c.Mood >= 2 && g.r.IntN(3) == 0 {
		g.referral(t.Add(g.secs(60, 3600)))
	}
}

func (g *gen) referral(t time.Time) {
	g.referralSeq++
	id := fmt.Sprintf("%sref-%08d-%d", g.p.cfg.IDPrefix, g.c.Index, g.referralSeq)
	media := []string{"email", "whatsapp", "link", "social"}
	g.emit(g.server(t, SourceCRM, "web", events.ReferralSent, newObj().str("referral_id", id).str("medium", media[g.r.IntN(len(media))]).done()))
	if g.r.IntN(5) < 2 && g.p.cfg.Customers > 1 {
		other := (g.c.Index + 1 + g.r.IntN(g.p.cfg.Customers-1)) % g.p.cfg.Customers
		props := newObj().str("referral_id", id).str("referred_user_id", fmt.Sprintf("%scust-%08d", g.p.cfg.IDPrefix, other)).done()
		g.emit(g.server(t.Add(time.Duration(1+g.r.IntN(14))*24*time.Hour), SourceCRM, "web", events.ReferralConverted, props))
		g.emit(g.server(t.Add(time.Duration(15+g.r.IntN(5))*24*time.Hour), SourceCRM, "web", events.RewardGranted,
			newObj().str("reward", "Gutschein 15 EUR").num("value", 15).str("reason", "referral").done()))
	}
}

func (g *gen) churn(t time.Time) {
	if g.openTickets > 0 || g.r.IntN(3) == 0 {
		g.emit(g.server(t, SourceSupport, "letter", events.ComplaintFiled,
			newObj().str("text", "Ich bin mit dem Service unzufrieden.").str("category", "service").str("channel", "letter").done()))
	}
	if g.contractID != "" {
		g.emit(g.server(t.Add(g.secs(600, 7200)), SourceCRM, "letter", events.ContractCancelled,
			newObj().str("contract_id", g.contractID).str("reason", "dissatisfied").str("effective_date", g.contractEnd.Format(time.DateOnly)).done()))
		g.contractID = ""
	}
}

func (g *gen) startContract(t time.Time) {
	if !g.c.HasContract || g.contractID != "" {
		return
	}
	pl := plans[g.c.Plan]
	g.contractID = fmt.Sprintf("%sctr-%08d", g.p.cfg.IDPrefix, g.c.Index)
	g.contractEnd = t.AddDate(1, 0, 0).Truncate(24 * time.Hour)
	g.emit(g.server(t.Add(g.secs(5, 60)), SourceCRM, "web", events.ContractStarted, newObj().str("contract_id", g.contractID).
		str("end_date", g.contractEnd.Format(time.DateOnly)).str("plan", pl.name).num("value", pl.value).str("currency", "EUR").done()))
}

func (g *gen) renewContract(t time.Time) {
	if g.c.Persona == Churners {
		return
	}
	pl := plans[g.c.Plan]
	g.contractEnd = g.contractEnd.AddDate(1, 0, 0)
	g.emit(g.server(t, SourceCRM, "email", events.ContractRenewed, newObj().str("contract_id", g.contractID).
		str("end_date", g.contractEnd.Format(time.DateOnly)).str("plan", pl.name).num("value", pl.value).str("currency", "EUR").done()))
}
