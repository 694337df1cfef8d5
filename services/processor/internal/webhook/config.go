package webhook

import (
	"encoding/json"
	"fmt"
	"net/url"
	"slices"
	"time"

	"github.com/cemhq/cem/pkg/alerting"
)

// Config configures delivery (CEM_WEBHOOK_*).
type Config struct {
	// Targets are the webhooks as a JSON array (CEM_WEBHOOK_TARGETS), see
	// Target. Empty: no delivery (the consumer does not run).
	Targets Targets `envconfig:"TARGETS"`
	// Group is the Kafka consumer group of delivery (CEM_WEBHOOK_GROUP).
	// Default cem-webhooks.
	Group string `envconfig:"GROUP" default:"cem-webhooks"`
	// MaxAttempts per alert and target before the dead-letter
	// (CEM_WEBHOOK_MAX_ATTEMPTS). Default 6.
	MaxAttempts int `envconfig:"MAX_ATTEMPTS" default:"6"`
	// Timeout of one attempt (CEM_WEBHOOK_TIMEOUT). Default 5s.
	Timeout time.Duration `envconfig:"TIMEOUT" default:"5s"`
	// RetryInitial is the first wait between attempts, doubled (with
	// jitter) up to RetryMax (CEM_WEBHOOK_RETRY_INITIAL). Default 500ms.
	RetryInitial time.Duration `envconfig:"RETRY_INITIAL" default:"500ms"`
	// RetryMax caps the wait between attempts (CEM_WEBHOOK_RETRY_MAX).
	// Default 30s.
	RetryMax time.Duration `envconfig:"RETRY_MAX" default:"30s"`
	// UIURL is the query service's UI base URL for the customer link
	// (CEM_WEBHOOK_UI_URL). Default http://localhost:8090.
	UIURL string `envconfig:"UI_URL" default:"http://localhost:8090"`
}

// Target is one outbound webhook.
type Target struct {
	// Name labels the target's metrics and deliveries (required, unique).
	Name string `json:"name"`
	// URL receives the POST (http or https).
	URL string `json:"url"`
	// Format is "json" (default: the alert, customer facts and link) or
	// "slack" (an incoming-webhook message: text and blocks).
	Format string `json:"format,omitempty"`
	// Secret signs every delivery (HMAC-SHA256); required for json.
	Secret string `json:"secret,omitempty"`
	// Reasons, Channels and Segments filter: when not empty, only alerts
	// of one of these reasons, trigger channels, or customer segments (the
	// RFM segment, value tier or lifecycle of customer_current) are sent.
	Reasons  []string `json:"reasons,omitempty"`
	Channels []string `json:"channels,omitempty"`
	Segments []string `json:"segments,omitempty"`
}

// Targets decodes CEM_WEBHOOK_TARGETS.
type Targets []Target

// Decode implements envconfig.Decoder.
func (t *Targets) Decode(v string) error {
	if v == "" {
		*t = nil
		return nil
	}
	var out Targets
	if err := json.Unmarshal([]byte(v), &out); err != nil {
		return fmt.Errorf("decode webhook targets (a JSON array): %w", err)
	}
	*t = out
	return nil
}

// Validate reports configuration errors naming the variable.
func (c Config) Validate() error {
	names := map[string]bool{}
	for i, t := range c.Targets {
		where := fmt.Sprintf("CEM_WEBHOOK_TARGETS[%d]", i)
		if t.Name == "" || names[t.Name] {
			return fmt.Errorf("%s: name is required and unique, got %q", where, t.Name)
		}
		names[t.Name] = true
		if u, err := url.Parse(t.URL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return fmt.Errorf("%s (%s): url must be an http(s) URL, got %q", where, t.Name, t.URL)
		}
		if !slices.Contains([]string{"", "json", "slack"}, t.Format) {
			return fmt.Errorf("%s (%s): format must be json or slack, got %q", where, t.Name, t.Format)
		}
		if t.Format != "slack" && len(t.Secret) < 16 {
			return fmt.Errorf("%s (%s): a json target needs a secret of at least 16 characters", where, t.Name)
		}
		for _, r := range t.Reasons {
			if _, ok := alerting.RuleOf(r); !ok {
				return fmt.Errorf("%s (%s): unknown reason %q (one of %v)", where, t.Name, r, alerting.Reasons())
			}
		}
	}
	switch {
	case c.Group == "":
		return fmt.Errorf("CEM_WEBHOOK_GROUP is required")
	case c.MaxAttempts < 1:
		return fmt.Errorf("CEM_WEBHOOK_MAX_ATTEMPTS must be at least 1, got %d", c.MaxAttempts)
	case c.Timeout <= 0:
		return fmt.Errorf("CEM_WEBHOOK_TIMEOUT must be positive, got %s", c.Timeout)
	case c.RetryInitial <= 0 || c.RetryMax < c.RetryInitial:
		return fmt.Errorf("CEM_WEBHOOK_RETRY_INITIAL (%s) must be positive and not above CEM_WEBHOOK_RETRY_MAX (%s)", c.RetryInitial, c.RetryMax)
	}
	if u, err := url.Parse(c.UIURL); err != nil || (u.Scheme != "http" && u.Scheme != "https") {
		return fmt.Errorf("CEM_WEBHOOK_UI_URL must be an http(s) URL, got %q", c.UIURL)
	}
	return nil
}

// Matches reports whether the target's filters let a through for a
// customer in segments.
func (t Target) Matches(a alerting.Alert, segments []string) bool {
	if len(t.Reasons) > 0 && !slices.Contains(t.Reasons, a.Reason) {
		return false
	}
	if len(t.Channels) > 0 && !slices.Contains(t.Channels, a.Channel) {
		return false
	}
	if len(t.Segments) > 0 && !slices.ContainsFunc(segments, func(s string) bool { return s != "" && slices.Contains(t.Segments, s) }) {
		return false
	}
	return true
}
