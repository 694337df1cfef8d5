package webhook

import (
	"encoding/json"
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/cemhq/cem/pkg/alerting"
)

// Facts are a customer's key facts (customer_current), sent with an alert.
// Scored is false for a customer the scorer has not scored yet (the other
// fields are then zero).
type Facts struct {
	Scored     bool     `json:"scored"`
	Health     float64  `json:"health"`
	ChurnRisk  string   `json:"churn_risk"`
	Experience float64  `json:"experience"`
	NPSLatest  *float64 `json:"nps_latest"`
	CSATLatest *float64 `json:"csat_latest"`
	Segment    string   `json:"rfm_segment"`
	ValueTier  string   `json:"value_tier"`
	Lifecycle  string   `json:"lifecycle"`
}

// Segments are the values a target's segment filter matches.
func (f Facts) Segments() []string { return []string{f.Segment, f.ValueTier, f.Lifecycle} }

// Customer is the customer part of a delivery.
type Customer struct {
	ID    string `json:"id"`
	URL   string `json:"url"`
	Facts Facts  `json:"facts"`
}

// Payload is the body of a json target.
type Payload struct {
	// Version of the format: 1.
	Version  int            `json:"v"`
	Target   string         `json:"target"`
	Alert    alerting.Alert `json:"alert"`
	Customer Customer       `json:"customer"`
	SentAt   time.Time      `json:"sent_at"`
}

// CustomerURL is the customer's page in the UI at base.
func CustomerURL(base, customer string) string {
	return strings.TrimRight(base, "/") + "/#/customer/" + url.PathEscape(customer)
}

// Body encodes the delivery of a to t. The body is the same on every
// attempt (SentAt is the first attempt's), so a receiver can compare them.
func Body(t Target, a alerting.Alert, c Customer, sentAt time.Time) ([]byte, error) {
	if t.Format == "slack" {
		return json.Marshal(slackMessage(a, c))
	}
	return json.Marshal(Payload{Version: 1, Target: t.Name, Alert: a, Customer: c, SentAt: sentAt.UTC()})
}

func slackMessage(a alerting.Alert, c Customer) map[string]any {
	head := fmt.Sprintf("*%s* alert (%s): %s", a.Reason, a.Severity, a.Message)
	facts := "not scored yet"
	if f := c.Facts; f.Scored {
		facts = fmt.Sprintf("health %g, churn risk %s, experience %g, segment %s", f.Health, f.ChurnRisk, f.Experience, f.Segment)
	}
	text := fmt.Sprintf("%s\n<%s|Customer %s>: %s\nSuggested action: %s", head, c.URL, c.ID, facts, a.Action)
	return map[string]any{
		"text": text,
		"blocks": []any{
			map[string]any{"type": "section", "text": map[string]any{"type": "mrkdwn", "text": text}},
			map[string]any{"type": "context", "elements": []any{map[string]any{"type": "mrkdwn", "text": "alert " + a.ID}}},
		},
	}
}
