package scores

import (
	"encoding/json"
	"math"
	"sort"
	"strings"
	"time"

	"github.com/cemhq/cem/pkg/customer"
	"github.com/cemhq/cem/pkg/money"
)

// Profile is the customer 360: one record per canonical customer with what
// every team needs to know: the common fields (customer.Profile) and the
// scorer's derived facts.
type Profile struct {
	customer.Profile
	// Traits are the latest value of every identify trait with its time.
	Traits            map[string]Trait     `json:"traits"`
	LastSeenByChannel map[string]time.Time `json:"last_seen_by_channel"`
	AvgOrderValue     float64              `json:"avg_order_value"`
	Currency          string               `json:"currency,omitempty"`
	LastOrderAt       time.Time            `json:"last_order_at"`
	Products          []string             `json:"products,omitempty"`
	Contracts         []ContractView       `json:"contracts,omitempty"`
	Loyalty           LoyaltyView          `json:"loyalty"`
	ReferralsSent     int                  `json:"referrals_sent"`
	ReferralsDone     int                  `json:"referrals_converted"`
	Tickets           TicketStats          `json:"tickets"`
	SurveysAnswered   int                  `json:"surveys_answered"`
	FeedbackGiven     int                  `json:"feedback_given"`
	// Consent holds the latest value of every trait whose name contains
	// "consent" (e.g. consent, marketing_consent).
	Consent map[string]json.RawMessage `json:"consent,omitempty"`
}

// ContractView is a contract as shown in the profile.
type ContractView struct {
	Contract
	Active bool `json:"active"`
}

// LoyaltyView is the loyalty membership as shown in the profile.
type LoyaltyView struct {
	Member  bool      `json:"member"`
	Program string    `json:"program,omitempty"`
	Tier    string    `json:"tier,omitempty"`
	Points  float64   `json:"points"` // earned - redeemed
	Joined  time.Time `json:"joined"`
}

// TicketStats counts tickets with response and resolution times.
type TicketStats struct {
	Open      int                      `json:"open"`
	Resolved  int                      `json:"resolved"`
	ByChannel map[string]*ChannelStats `json:"by_channel,omitempty"`
}

// ChannelStats are the tickets of one channel; times are means in hours
// over the tickets that have them.
type ChannelStats struct {
	Opened              int     `json:"opened"`
	Open                int     `json:"open"`
	Resolved            int     `json:"resolved"`
	AvgFirstResponseHrs float64 `json:"avg_first_response_hours"`
	AvgResolutionHrs    float64 `json:"avg_resolution_hours"`
	replies             int
}

func computeProfile(f *Facts, now time.Time) Profile {
	p := Profile{
		Profile: customer.Profile{CustomerID: f.CustomerID, IDs: f.IDs, FirstSeenMs: msOf(f.FirstSeen), LastSeenMs: msOf(f.LastSeen),
			Events: uint64(f.Events), Sessions: uint64(f.Sessions), Orders: uint64(len(f.Orders))},
		Traits: f.Traits, LastSeenByChannel: f.LastSeenByChannel,
		ReferralsSent: len(f.ReferralsSent), ReferralsDone: len(f.ReferralsDone),
		SurveysAnswered: len(f.Surveys), FeedbackGiven: len(f.Feedback),
	}
	currencies, products := map[string]int{}, map[string]int{}
	p.Revenue = orderRevenue(f.Orders)
	for _, o := range f.Orders {
		if o.Currency != "" {
			currencies[o.Currency]++
		}
		for _, pr := range o.Products {
			products[pr]++
		}
		p.LastOrderAt = o.At
	}
	if p.Orders > 0 {
		p.AvgOrderValue = round2(p.Revenue / float64(p.Orders))
	}
	p.Currency = topKey(currencies)
	for pr := range products {
		p.Products = append(p.Products, pr)
	}
	sort.Slice(p.Products, func(i, j int) bool {
		a, b := p.Products[i], p.Products[j]
		return products[a] > products[b] || products[a] == products[b] && a < b
	})
	for _, c := range f.Contracts {
		active := c.End.IsZero() && c.Cancelled.IsZero() || c.End.After(now)
		p.Contracts = append(p.Contracts, ContractView{*c, active})
	}
	l := f.Loyalty
	p.Loyalty = LoyaltyView{Member: !l.Joined.IsZero() || l.Program != "", Program: l.Program, Tier: l.Tier,
		Points: l.PointsEarned - l.PointsRedeemed, Joined: l.Joined}
	p.Tickets = ticketStats(f.Tickets)
	for k, v := range f.Traits {
		if strings.Contains(strings.ToLower(k), "consent") {
			if p.Consent == nil {
				p.Consent = map[string]json.RawMessage{}
			}
			p.Consent[k] = v.Value
		}
	}
	return p
}

func ticketStats(ts []*Ticket) TicketStats {
	s := TicketStats{}
	for _, t := range ts {
		if s.ByChannel == nil {
			s.ByChannel = map[string]*ChannelStats{}
		}
		ch := firstNonEmpty(t.Channel, "unknown")
		c := s.ByChannel[ch]
		if c == nil {
			c = &ChannelStats{}
			s.ByChannel[ch] = c
		}
		c.Opened++
		if !t.FirstReply.IsZero() {
			c.replies++
			c.AvgFirstResponseHrs += t.FirstReply.Sub(t.Opened).Hours()
		}
		if t.Resolved.IsZero() {
			s.Open++
			c.Open++
		} else {
			s.Resolved++
			c.Resolved++
			c.AvgResolutionHrs += t.Resolved.Sub(t.Opened).Hours()
		}
	}
	for _, c := range s.ByChannel {
		if c.replies > 0 {
			c.AvgFirstResponseHrs = round2(c.AvgFirstResponseHrs / float64(c.replies))
		}
		if c.Resolved > 0 {
			c.AvgResolutionHrs = round2(c.AvgResolutionHrs / float64(c.Resolved))
		}
	}
	return s
}

func topKey(m map[string]int) string {
	best := ""
	for k, n := range m {
		if best == "" || n > m[best] || n == m[best] && k < best {
			best = k
		}
	}
	return best
}

// orderRevenue sums the orders' revenue exactly (integer units).
func orderRevenue(orders []Order) float64 {
	var units int64
	for _, o := range orders {
		units += money.Units(o.Revenue)
	}
	return money.Amount(units)
}

func round2(v float64) float64 { return math.Round(v*100) / 100 }
