package servicelevel

import (
	"fmt"
	"strings"
	"time"
)

// Target is the service level of one channel.
type Target struct {
	// Response is the longest acceptable time to the first reply.
	Response time.Duration
	// Resolution is the longest acceptable time to resolution.
	Resolution time.Duration
}

// Targets maps a channel to its target; "*" is the default.
type Targets map[string]Target

// DefaultTargets apply when none are configured: 1 h response and 24 h
// resolution for any channel, faster for phone and chat, slower for letter.
func DefaultTargets() Targets {
	return Targets{
		"*":      {Response: time.Hour, Resolution: 24 * time.Hour},
		"phone":  {Response: 5 * time.Minute, Resolution: 24 * time.Hour},
		"chat":   {Response: 2 * time.Minute, Resolution: 4 * time.Hour},
		"email":  {Response: 24 * time.Hour, Resolution: 72 * time.Hour},
		"letter": {Response: 120 * time.Hour, Resolution: 240 * time.Hour},
	}
}

// ParseTargets parses "channel=response/resolution,..." such as
// "phone=5m/24h,email=24h/72h,*=1h/24h". Channels not listed fall back to
// "*" and, if that is missing, to DefaultTargets()["*"].
func ParseTargets(s string) (Targets, error) {
	t := Targets{}
	for item := range strings.SplitSeq(s, ",") {
		item = strings.TrimSpace(item)
		if item == "" {
			continue
		}
		ch, durs, ok := strings.Cut(item, "=")
		resp, res, ok2 := strings.Cut(durs, "/")
		if !ok || !ok2 || strings.TrimSpace(ch) == "" {
			return nil, fmt.Errorf("service target %q: want channel=response/resolution", item)
		}
		r1, err1 := time.ParseDuration(strings.TrimSpace(resp))
		r2, err2 := time.ParseDuration(strings.TrimSpace(res))
		if err1 != nil || err2 != nil || r1 <= 0 || r2 <= 0 {
			return nil, fmt.Errorf("service target %q: durations must be positive, like 5m or 24h", item)
		}
		t[strings.TrimSpace(ch)] = Target{Response: r1, Resolution: r2}
	}
	if _, ok := t["*"]; !ok {
		t["*"] = DefaultTargets()["*"]
	}
	return t, nil
}

// For returns the target of channel.
func (t Targets) For(channel string) Target {
	if x, ok := t[channel]; ok {
		return x
	}
	return t["*"]
}
