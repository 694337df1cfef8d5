package scores

import (
	"encoding/json"
	"math"
	"sort"
	"strings"
	"time"

	"github.com/cemhq/cem/pkg/events"
)

// Reserved event names the scores read (docs/conventions.md).
const (
	EvNPS               = "NPS Submitted"
	EvCSAT              = "CSAT Submitted"
	EvCES               = "CES Submitted"
	EvFeedback          = "Feedback Given"
	EvOrder             = "Order Completed"
	EvRefund            = "Order Refunded"
	EvTicketOpened      = "Ticket Opened"
	EvTicketReplied     = "Ticket Replied"
	EvTicketResolved    = "Ticket Resolved"
	EvTicketReopened    = "Ticket Reopened"
	EvContractStarted   = "Contract Started"
	EvContractRenewed   = "Contract Renewed"
	EvContractCancelled = "Contract Cancelled"
	EvLoyaltyJoined     = "Loyalty Joined"
	EvLoyaltyTier       = "Loyalty Tier Changed"
	EvPointsEarned      = "Points Earned"
	EvPointsRedeemed    = "Points Redeemed"
	EvReferralSent      = "Referral Sent"
	EvReferralConverted = "Referral Converted"
	EvError             = "Error Shown"
	EvPaymentFailed     = "Payment Failed"
	EvComplaint         = "Complaint Filed"
	EvReward            = "Reward Granted"
)

// FactEvents are the track events loaded one by one (everything else is
// loaded as daily activity counts only).
var FactEvents = []string{
	EvNPS, EvCSAT, EvCES, EvFeedback, EvOrder, EvRefund, EvTicketOpened, EvTicketReplied, EvTicketResolved,
	EvTicketReopened, EvContractStarted, EvContractRenewed, EvContractCancelled, EvLoyaltyJoined, EvLoyaltyTier,
	EvPointsEarned, EvPointsRedeemed, EvReferralSent, EvReferralConverted, EvError, EvPaymentFailed, EvComplaint, EvReward,
}

// PassiveEvents are events the company sends about a customer, not the
// customer's own activity: they do not count as activity for recency,
// sleepers and lifecycle. identify, group and alias calls do not count
// either (CRM syncs send them).
var PassiveEvents = []string{
	EvTicketReplied, EvTicketResolved, EvReward, EvPointsEarned, EvReferralConverted, EvContractRenewed,
}

// Survey kinds.
const (
	KindNPS  = "nps"
	KindCSAT = "csat"
	KindCES  = "ces"
)

// Row is one stored event as the scores read it.
type Row struct {
	EventID       string
	Type          string // track, identify, ...
	Event         string
	At            time.Time // event time
	ReceivedAt    time.Time // when the collector received it (At when unknown)
	Source        string
	Channel       string
	Touchpoint    string // properties.touchpoint for surveys when set, else the touchpoint column
	Score         *float64
	Revenue       float64
	Currency      string
	OrderID       string
	TicketID      string
	TicketChannel string
	ContractID    string
	ContractEnd   time.Time
	Properties    string // raw JSON
	Traits        string // raw JSON (identify)
}

// Activity is a customer's own activity on one UTC day and channel.
type Activity struct {
	Day     time.Time
	Channel string
	Events  int
	Last    time.Time
}

// Summary holds per-customer counts over all stored events.
type Summary struct {
	IDs       []string
	Events    int
	Sessions  int
	FirstSeen time.Time
}

// Facts is everything the scores know about one customer, built from
// stored events by Add, AddActivity and SetSummary. The zero value with a
// CustomerID is an unknown customer.
type Facts struct {
	CustomerID        string
	IDs               []string
	Events            int
	Sessions          int
	FirstSeen         time.Time
	LastSeen          time.Time // last own activity
	LastSeenByChannel map[string]time.Time
	ActiveDays        []time.Time // distinct UTC days with own activity, ascending (after Finish)
	Orders            []Order
	Tickets           []*Ticket
	Surveys           []Survey
	Feedback          []time.Time
	Contracts         []*Contract
	Loyalty           Loyalty
	ReferralsSent     []time.Time
	ReferralsDone     []time.Time // referrals converted
	Signals           []Signal    // discrete experience events (errors, complaints, rewards, ...)
	Traits            map[string]Trait

	days    map[time.Time]bool
	tickets map[string]*Ticket
	cons    map[string]*Contract
}

// Order is a completed order.
type Order struct {
	ID       string
	At       time.Time
	Revenue  float64
	Currency string
	Products []string
}

// Ticket is a service ticket; zero times are "not yet".
type Ticket struct {
	ID         string
	Channel    string
	Opened     time.Time
	FirstReply time.Time
	Resolved   time.Time
	Reopened   int
}

// Survey is one survey answer.
type Survey struct {
	Kind       string
	Score      float64
	At         time.Time
	ReceivedAt time.Time
	EventID    string
	Source     string
	Channel    string
	Touchpoint string
}

// Contract is a contract with its latest end date.
type Contract struct {
	ID        string
	Started   time.Time
	End       time.Time
	Renewed   time.Time // the latest Contract Renewed, with or without an end date
	Cancelled time.Time
	// termRenewed is when the current term (the one ending at End) was
	// renewed: by a Contract Renewed without an end date (or with the same
	// one). A renewal with a new end date starts a new term that is not
	// renewed yet.
	termRenewed time.Time
}

// Loyalty is the customer's loyalty programme membership.
type Loyalty struct {
	Joined         time.Time
	Program        string
	Tier           string
	PointsEarned   float64
	PointsRedeemed float64
}

// Signal is a discrete experience event.
type Signal struct {
	Name       string
	At         time.Time
	ReceivedAt time.Time
	EventID    string
	Channel    string
	Touchpoint string
}

// Trait is the latest value of one identify trait.
type Trait struct {
	Value json.RawMessage `json:"value"`
	At    time.Time       `json:"at"`
}

// NewFacts returns empty facts of a customer.
func NewFacts(customerID string) *Facts {
	return &Facts{
		CustomerID: customerID, LastSeenByChannel: map[string]time.Time{}, Traits: map[string]Trait{},
		days: map[time.Time]bool{}, tickets: map[string]*Ticket{}, cons: map[string]*Contract{},
	}
}

// SetSummary records the per-customer counts.
func (f *Facts) SetSummary(s Summary) {
	f.IDs, f.Events, f.Sessions = s.IDs, s.Events, s.Sessions
	sort.Strings(f.IDs)
	if f.FirstSeen.IsZero() || (!s.FirstSeen.IsZero() && s.FirstSeen.Before(f.FirstSeen)) {
		f.FirstSeen = s.FirstSeen
	}
}

// AddActivity records own activity on a day and channel.
func (f *Facts) AddActivity(a Activity) {
	day := a.Day.UTC().Truncate(24 * time.Hour)
	f.days[day] = true
	if a.Last.After(f.LastSeen) {
		f.LastSeen = a.Last
	}
	if a.Channel != "" && a.Last.After(f.LastSeenByChannel[a.Channel]) {
		f.LastSeenByChannel[a.Channel] = a.Last
	}
	if f.FirstSeen.IsZero() || day.Before(f.FirstSeen) {
		f.FirstSeen = day
	}
}

// Add records one fact event (see FactEvents) or identify call.
func (f *Facts) Add(r Row) {
	if r.ReceivedAt.IsZero() {
		r.ReceivedAt = r.At
	}
	if r.Type == "identify" {
		f.addTraits(r)
		return
	}
	sig := func(name string) {
		f.Signals = append(f.Signals, Signal{name, r.At, r.ReceivedAt, r.EventID, r.Channel, r.Touchpoint})
	}
	switch r.Event {
	case EvNPS, EvCSAT, EvCES:
		if r.Score != nil {
			kind := map[string]string{EvNPS: KindNPS, EvCSAT: KindCSAT, EvCES: KindCES}[r.Event]
			f.Surveys = append(f.Surveys, Survey{kind, *r.Score, r.At, r.ReceivedAt, r.EventID, r.Source, r.Channel, r.Touchpoint})
		}
	case EvFeedback:
		f.Feedback = append(f.Feedback, r.At)
		sig("feedback")
	case EvOrder:
		f.Orders = append(f.Orders, Order{r.OrderID, r.At, amount(r.Revenue), r.Currency, products(r.Properties)})
	case EvRefund:
		sig("refund")
	case EvTicketOpened, EvTicketReplied, EvTicketResolved, EvTicketReopened:
		f.addTicket(r)
	case EvContractStarted, EvContractRenewed, EvContractCancelled:
		f.addContract(r)
		if r.Event == EvContractRenewed {
			sig("contract_renewed")
		} else if r.Event == EvContractCancelled {
			sig("contract_cancelled")
		}
	case EvLoyaltyJoined, EvLoyaltyTier:
		var p struct{ Program, Tier string }
		_ = json.Unmarshal([]byte(r.Properties), &p)
		if r.Event == EvLoyaltyJoined && (f.Loyalty.Joined.IsZero() || r.At.Before(f.Loyalty.Joined)) {
			f.Loyalty.Joined = r.At
		}
		if p.Program != "" {
			f.Loyalty.Program = p.Program
		}
		if p.Tier != "" {
			f.Loyalty.Tier = p.Tier
		}
	case EvPointsEarned:
		f.Loyalty.PointsEarned += points(r.Properties)
	case EvPointsRedeemed:
		f.Loyalty.PointsRedeemed += points(r.Properties)
	case EvReferralSent:
		f.ReferralsSent = append(f.ReferralsSent, r.At)
	case EvReferralConverted:
		f.ReferralsDone = append(f.ReferralsDone, r.At)
		sig("referral_converted")
	case EvError:
		sig("error_shown")
	case EvPaymentFailed:
		sig("payment_failed")
	case EvComplaint:
		sig("complaint")
	case EvReward:
		sig("reward")
	}
}

func (f *Facts) addTicket(r Row) {
	id := r.TicketID
	if id == "" {
		id = r.EventID
	}
	t := f.tickets[id]
	if t == nil {
		t = &Ticket{ID: id}
		f.tickets[id] = t
	}
	if t.Channel == "" {
		t.Channel = firstNonEmpty(r.TicketChannel, r.Channel)
	}
	switch r.Event {
	case EvTicketOpened:
		if !t.Resolved.IsZero() && r.At.After(t.Resolved) {
			t.Reopened++
			t.Resolved = time.Time{}
		} else if t.Opened.IsZero() || r.At.Before(t.Opened) {
			t.Opened = r.At
		}
	case EvTicketReopened:
		t.Reopened++
		t.Resolved = time.Time{}
	case EvTicketReplied:
		if t.FirstReply.IsZero() || r.At.Before(t.FirstReply) {
			t.FirstReply = r.At
		}
	case EvTicketResolved:
		if r.At.After(t.Resolved) {
			t.Resolved = r.At
		}
	}
	if t.Opened.IsZero() { // a reply or resolution seen before the opening
		t.Opened = r.At
	}
}

func (f *Facts) addContract(r Row) {
	id := firstNonEmpty(r.ContractID, "default")
	c := f.cons[id]
	if c == nil {
		c = &Contract{ID: id}
		f.cons[id] = c
	}
	switch r.Event {
	case EvContractStarted:
		c.Started = r.At
	case EvContractRenewed:
		c.Renewed = r.At
		if r.ContractEnd.IsZero() || r.ContractEnd.Equal(c.End) {
			c.termRenewed = r.At
		} else {
			c.termRenewed = time.Time{}
		}
	case EvContractCancelled:
		c.Cancelled = r.At
	}
	if !r.ContractEnd.IsZero() && (r.Event != EvContractStarted || c.End.IsZero()) {
		c.End = r.ContractEnd
	}
}

func (f *Facts) addTraits(r Row) {
	var m map[string]json.RawMessage
	if json.Unmarshal([]byte(r.Traits), &m) != nil {
		return
	}
	for k, v := range m {
		if old, ok := f.Traits[k]; !ok || !r.At.Before(old.At) {
			f.Traits[k] = Trait{Value: v, At: r.At}
		}
	}
}

// Finish sorts the collected facts by time; call it once after the last
// Add. Events must be applied in time order for tickets to be exact (the
// loader reads them ordered by time).
func (f *Facts) Finish() {
	f.ActiveDays = f.ActiveDays[:0]
	for d := range f.days {
		f.ActiveDays = append(f.ActiveDays, d)
	}
	sort.Slice(f.ActiveDays, func(i, j int) bool { return f.ActiveDays[i].Before(f.ActiveDays[j]) })
	f.Tickets = f.Tickets[:0]
	for _, t := range f.tickets {
		f.Tickets = append(f.Tickets, t)
	}
	sort.Slice(f.Tickets, func(i, j int) bool { return f.Tickets[i].Opened.Before(f.Tickets[j].Opened) })
	f.Contracts = f.Contracts[:0]
	for _, c := range f.cons {
		f.Contracts = append(f.Contracts, c)
	}
	sort.Slice(f.Contracts, func(i, j int) bool { return f.Contracts[i].ID < f.Contracts[j].ID })
	sort.SliceStable(f.Orders, func(i, j int) bool { return f.Orders[i].At.Before(f.Orders[j].At) })
	sort.SliceStable(f.Surveys, func(i, j int) bool { return f.Surveys[i].At.Before(f.Surveys[j].At) })
	sort.SliceStable(f.Signals, func(i, j int) bool { return f.Signals[i].At.Before(f.Signals[j].At) })
	for _, s := range [][]time.Time{f.Feedback, f.ReferralsSent, f.ReferralsDone} {
		sort.Slice(s, func(i, j int) bool { return s[i].Before(s[j]) })
	}
}

func products(props string) []string {
	var p struct {
		Products []struct {
			Name      string `json:"name"`
			ProductID string `json:"product_id"`
			SKU       string `json:"sku"`
		} `json:"products"`
	}
	if json.Unmarshal([]byte(props), &p) != nil {
		return nil
	}
	var out []string
	for _, x := range p.Products {
		if n := firstNonEmpty(x.Name, x.ProductID, x.SKU); n != "" {
			out = append(out, n)
		}
	}
	return out
}

func points(props string) float64 {
	var p struct {
		Points float64 `json:"points"`
	}
	_ = json.Unmarshal([]byte(props), &p)
	return amount(p.Points)
}

// amount is v, or 0 when v is beyond events.MaxAmount, NaN or infinite:
// rows stored before the schemas bounded amounts must not turn a sum into
// +Inf (the profile JSON, and with it the whole run, would fail).
func amount(v float64) float64 {
	if math.Abs(v) <= events.MaxAmount {
		return v
	}
	return 0
}

func firstNonEmpty(s ...string) string {
	for _, x := range s {
		if x = strings.TrimSpace(x); x != "" {
			return x
		}
	}
	return ""
}
