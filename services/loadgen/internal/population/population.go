package population

import (
	"fmt"
	"math/rand/v2"
	"time"
)

// Persona is a customer's behaviour over the simulated period.
type Persona string

// Personas and their share of the population.
const (
	// Loyal customers visit often, buy often and recommend the shop.
	Loyal Persona = "loyal"
	// Regular customers buy every few weeks.
	Regular Persona = "regular"
	// Occasional customers buy a few times a year.
	Occasional Persona = "occasional"
	// Churners are active, grow unhappy (tickets, detractor votes) and leave
	// before the end of the period, cancelling their contract.
	Churners Persona = "churner"
	// Sleepers are active, then silent for much longer than their rhythm,
	// some of them waking up again near the end.
	Sleepers Persona = "sleeper"
	// Browsers never log in: anonymous web sessions only.
	Browsers Persona = "browser"
)

var personaWeights = []struct {
	p      Persona
	weight int
	rhythm float64 // mean days between visits
}{
	{Loyal, 15, 3}, {Regular, 33, 8}, {Occasional, 25, 25}, {Churners, 10, 6}, {Sleepers, 10, 7}, {Browsers, 7, 20},
}

// Config describes a population.
type Config struct {
	// Seed makes the population reproducible. Default 0.
	Seed uint64
	// Customers is the number of customers, at least 1.
	Customers int
	// Start and End bound event time. Default: the 180 days before End;
	// End defaults to 2026-03-01T00:00:00Z (fixed, so the output is
	// reproducible).
	Start, End time.Time
	// IDPrefix is put in front of every id (user, anonymous, message,
	// order, ticket) so several populations never collide. Default "".
	IDPrefix string
}

// DefaultEnd is End when Config.End is zero.
var DefaultEnd = time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)

func (c Config) withDefaults() Config {
	if c.End.IsZero() {
		c.End = DefaultEnd
	}
	if c.Start.IsZero() || !c.Start.Before(c.End) {
		c.Start = c.End.Add(-180 * 24 * time.Hour)
	}
	if c.Customers < 1 {
		c.Customers = 1
	}
	return c
}

// Population generates customers and their journeys.
type Population struct {
	cfg Config
}

// New returns the population of cfg.
func New(cfg Config) *Population { return &Population{cfg: cfg.withDefaults()} }

// Config returns the configuration with defaults applied.
func (p *Population) Config() Config { return p.cfg }

// Customer is one person of the population with their devices and traits.
type Customer struct {
	Index   int
	Persona Persona
	// UserID is the id the shop's systems know the customer by.
	UserID    string
	Email     string
	FirstName string
	LastName  string
	// WebAnon are the anonymous ids of the customer's browsers, AppAnon the
	// app installation's (empty: no app).
	WebAnon []string
	AppAnon string
	agents  []int // index into webAgents, per browser
	device  int   // index into appDevices
	locale  int
	// RhythmDays is the mean number of days between visits.
	RhythmDays float64
	// FirstSeen is the first visit; ChurnAt (churners) is when activity
	// ends; SleepFrom..SleepTo (sleepers) is a silent period.
	FirstSeen          time.Time
	ChurnAt            time.Time
	SleepFrom, SleepTo time.Time
	// Mood shifts survey answers: positive is happier (-3..3).
	Mood int
	// HasContract customers hold a yearly subscription.
	HasContract bool
	Plan        int
}

// rng returns customer i's private random stream.
func (p *Population) rng(i int, stream uint64) *rand.Rand {
	return rand.New(rand.NewPCG(p.cfg.Seed^0x9e3779b97f4a7c15, uint64(i)*4+stream))
}

// Customer returns customer i (0 <= i < Customers).
func (p *Population) Customer(i int) Customer {
	r := p.rng(i, 0)
	c := Customer{Index: i}
	total := 0
	for _, w := range personaWeights {
		total += w.weight
	}
	pick := r.IntN(total)
	for _, w := range personaWeights {
		if pick < w.weight {
			c.Persona, c.RhythmDays = w.p, w.rhythm*(0.5+r.Float64())
			break
		}
		pick -= w.weight
	}
	pre := p.cfg.IDPrefix
	c.UserID = fmt.Sprintf("%scust-%08d", pre, i)
	c.FirstName, c.LastName = firstNames[r.IntN(len(firstNames))], lastNames[r.IntN(len(lastNames))]
	c.Email = fmt.Sprintf("%s.%s.%d@example.com", lower(c.FirstName), lower(c.LastName), i)
	browsers := 1 + r.IntN(3)
	for b := range browsers {
		c.WebAnon = append(c.WebAnon, fmt.Sprintf("%sanon-%08d-%d-%08x", pre, i, b, r.Uint32()))
		c.agents = append(c.agents, weightedAgent(r))
	}
	if c.Persona != Browsers && r.IntN(100) < 45 {
		c.AppAnon = fmt.Sprintf("%sapp-%08d-%08x", pre, i, r.Uint32())
		c.device = r.IntN(len(appDevices))
	}
	c.locale = r.IntN(len(locales))
	span := p.cfg.End.Sub(p.cfg.Start)
	c.FirstSeen = p.cfg.Start.Add(time.Duration(r.Float64() * 0.6 * float64(span)))
	rest := p.cfg.End.Sub(c.FirstSeen)
	switch c.Persona {
	case Churners:
		c.ChurnAt = c.FirstSeen.Add(time.Duration((0.3 + 0.5*r.Float64()) * float64(rest)))
		c.Mood = -1 - r.IntN(3)
	case Sleepers:
		c.SleepFrom = c.FirstSeen.Add(time.Duration((0.2 + 0.3*r.Float64()) * float64(rest)))
		c.SleepTo = p.cfg.End.Add(24 * time.Hour) // silent to the end ...
		if r.IntN(3) == 0 {                       // ... or waking up
			c.SleepTo = c.SleepFrom.Add(time.Duration((0.6 + 0.3*r.Float64()) * float64(p.cfg.End.Sub(c.SleepFrom))))
		}
		c.Mood = r.IntN(3) - 1
	case Loyal:
		c.Mood = 1 + r.IntN(3)
	default:
		c.Mood = r.IntN(5) - 2
	}
	c.HasContract = c.Persona != Browsers && r.IntN(100) < 35
	c.Plan = r.IntN(len(plans))
	return c
}

func weightedAgent(r *rand.Rand) int {
	total := 0
	for _, a := range webAgents {
		total += a.weight
	}
	pick := r.IntN(total)
	for i, a := range webAgents {
		if pick < a.weight {
			return i
		}
		pick -= a.weight
	}
	return 0
}

func lower(s string) string {
	b := []rune(s)
	for i, c := range b {
		switch {
		case c >= 'A' && c <= 'Z':
			b[i] = c + 32
		case c == 'ü':
			b[i] = 'u'
		}
	}
	return string(b)
}
