package events

import (
	"encoding/json"
	"fmt"
	"math"
	"time"
)

// Reserved event names (docs/conventions.md). Any other event name is accepted as is;
// these carry meaning for scores and segments and their properties are
// checked against schemas/events/<name>.json.
const (
	NPSSubmitted       = "NPS Submitted"
	CSATSubmitted      = "CSAT Submitted"
	CESSubmitted       = "CES Submitted"
	FeedbackGiven      = "Feedback Given"
	OrderCompleted     = "Order Completed"
	ProductViewed      = "Product Viewed"
	CartViewed         = "Cart Viewed"
	CheckoutStarted    = "Checkout Started"
	OrderRefunded      = "Order Refunded"
	TicketOpened       = "Ticket Opened"
	TicketReplied      = "Ticket Replied"
	TicketResolved     = "Ticket Resolved"
	ContractStarted    = "Contract Started"
	ContractRenewed    = "Contract Renewed"
	ContractCancelled  = "Contract Cancelled"
	LoyaltyJoined      = "Loyalty Joined"
	LoyaltyTierChanged = "Loyalty Tier Changed"
	PointsEarned       = "Points Earned"
	PointsRedeemed     = "Points Redeemed"
	ReferralSent       = "Referral Sent"
	ReferralConverted  = "Referral Converted"
	ErrorShown         = "Error Shown"
	PaymentFailed      = "Payment Failed"
	ComplaintFiled     = "Complaint Filed"
	RewardGranted      = "Reward Granted"
)

// ReservedNames lists every reserved event name.
var ReservedNames = []string{
	NPSSubmitted, CSATSubmitted, CESSubmitted, FeedbackGiven,
	OrderCompleted, ProductViewed, CartViewed, CheckoutStarted, OrderRefunded,
	TicketOpened, TicketReplied, TicketResolved,
	ContractStarted, ContractRenewed, ContractCancelled,
	LoyaltyJoined, LoyaltyTierChanged, PointsEarned, PointsRedeemed, ReferralSent, ReferralConverted,
	ErrorShown, PaymentFailed, ComplaintFiled, RewardGranted,
}

var reservedSet = func() map[string]bool {
	m := make(map[string]bool, len(ReservedNames))
	for _, n := range ReservedNames {
		m[n] = true
	}
	return m
}()

// IsReserved reports whether name is a reserved event name.
func IsReserved(name string) bool { return reservedSet[name] }

// Reserved holds the typed properties of a reserved track event that the
// processor stores in typed columns. Fields a given event does not have stay
// zero.
type Reserved struct {
	// Score is the answer of NPS (0-10), CSAT (1-5) or CES (1-7) surveys, or
	// the rating of Feedback Given.
	Score *float64
	// Revenue is revenue (else total) of orders and refunds, amount of a
	// failed payment, value of a reward or contract.
	Revenue  float64
	Currency string
	OrderID  string
	// TicketID and TicketChannel identify a service ticket and the channel it
	// runs on (phone, email, letter, chat, store, web).
	TicketID      string
	TicketChannel string
	ContractID    string
	// ContractEnd is end_date of Contract Started / Renewed.
	ContractEnd time.Time
	// Program, Tier and Points describe loyalty events.
	Program string
	Tier    string
	Points  float64
	// ReferralID and ReferredUserID describe referrals.
	ReferralID     string
	ReferredUserID string
}

// MaxAmount bounds every amount of money (revenue, total, price, amount,
// value) and loyalty points in the reserved events' schemas
// (schemas/events: maximum 1e12, minimum -1e12 where negative amounts make
// sense). Sums of bounded amounts stay finite, which the profile, the RFM
// value and the GDPR export rely on (JSON has no +Inf).
const MaxAmount = 1e12

// reservedProps are the property names read into Reserved.
type reservedProps struct {
	Score          *float64 `json:"score"`
	Rating         *float64 `json:"rating"`
	Revenue        *float64 `json:"revenue"`
	Total          *float64 `json:"total"`
	Amount         *float64 `json:"amount"`
	Value          *float64 `json:"value"`
	Currency       string   `json:"currency"`
	OrderID        string   `json:"order_id"`
	TicketID       string   `json:"ticket_id"`
	Channel        string   `json:"channel"`
	ContractID     string   `json:"contract_id"`
	EndDate        string   `json:"end_date"`
	Program        string   `json:"program"`
	Tier           string   `json:"tier"`
	Points         float64  `json:"points"`
	ReferralID     string   `json:"referral_id"`
	ReferredUserID string   `json:"referred_user_id"`
}

// Reserved returns the typed properties of a reserved track event, and the
// zero Reserved for every other event. It fails when a property it reads has
// the wrong JSON type or end_date is not a date; the collector's schema check
// prevents that, so an error here means the record did not come through it.
func (e *Event) Reserved() (Reserved, error) {
	if e.Type != TypeTrack || !reservedSet[e.Event] || len(e.Properties) == 0 {
		return Reserved{}, nil
	}
	var p reservedProps
	if err := json.Unmarshal(e.Properties, &p); err != nil {
		return Reserved{}, fmt.Errorf("properties: %w", err)
	}
	r := Reserved{
		Score: p.Score, Currency: p.Currency, OrderID: p.OrderID, TicketID: p.TicketID,
		ContractID: p.ContractID, Program: p.Program, Tier: p.Tier, Points: p.Points,
		ReferralID: p.ReferralID, ReferredUserID: p.ReferredUserID,
	}
	if r.Score == nil {
		r.Score = p.Rating
	}
	for _, v := range []*float64{p.Revenue, p.Total, p.Amount, p.Value} {
		if v != nil {
			r.Revenue = *v
			break
		}
	}
	if !(math.Abs(r.Revenue) <= MaxAmount) || !(math.Abs(r.Points) <= MaxAmount) {
		return Reserved{}, fmt.Errorf("properties: an amount is beyond ±%g (revenue %g, points %g)", MaxAmount, r.Revenue, r.Points)
	}
	switch e.Event {
	case TicketOpened, TicketReplied, TicketResolved:
		r.TicketChannel = p.Channel
		if r.TicketChannel == "" {
			r.TicketChannel = e.Channel()
		}
	}
	if p.EndDate != "" {
		t, err := ParseDate(p.EndDate)
		if err != nil {
			return Reserved{}, fmt.Errorf("properties.end_date: %w", err)
		}
		r.ContractEnd = t
	}
	return r, nil
}

// ParseDate parses an RFC 3339 time or a plain date (2006-01-02, as UTC
// midnight).
func ParseDate(s string) (time.Time, error) {
	if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
		return t.UTC(), nil
	}
	if t, err := time.Parse(time.DateOnly, s); err == nil {
		return t, nil
	}
	return time.Time{}, fmt.Errorf("%q is neither RFC 3339 nor YYYY-MM-DD", s)
}
