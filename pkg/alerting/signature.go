package alerting

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Webhook delivery headers.
const (
	// SignatureHeader carries "t=<unix seconds>,v1=<hex HMAC-SHA256>" where
	// the MAC is over "<t>.<body>" with the target's secret.
	SignatureHeader = "Cem-Signature"
	// IdempotencyHeader carries the alert id: the same on every attempt and
	// every re-delivery of one alert, so receivers can dedup.
	IdempotencyHeader = "Idempotency-Key"
	// AttemptHeader is the attempt number, from 1.
	AttemptHeader = "Cem-Delivery-Attempt"
)

// DefaultReplayWindow is how old a signature Verify accepts by default.
const DefaultReplayWindow = 5 * time.Minute

// Sign returns the SignatureHeader value of body at t with secret.
func Sign(secret []byte, t time.Time, body []byte) string {
	ts := strconv.FormatInt(t.Unix(), 10)
	return "t=" + ts + ",v1=" + mac(secret, ts, body)
}

func mac(secret []byte, ts string, body []byte) string {
	m := hmac.New(sha256.New, secret)
	m.Write([]byte(ts))
	m.Write([]byte{'.'})
	m.Write(body)
	return hex.EncodeToString(m.Sum(nil))
}

// Verify checks a SignatureHeader value against body: the MAC must match
// (constant-time) and the timestamp be within window of now either way (a
// replayed delivery older than window is refused).
func Verify(secret []byte, header string, body []byte, now time.Time, window time.Duration) error {
	var ts string
	var sigs []string
	for part := range strings.SplitSeq(header, ",") {
		k, v, _ := strings.Cut(strings.TrimSpace(part), "=")
		switch k {
		case "t":
			ts = v
		case "v1":
			sigs = append(sigs, v)
		}
	}
	sec, err := strconv.ParseInt(ts, 10, 64)
	if err != nil || len(sigs) == 0 {
		return errors.New("verify signature: malformed header")
	}
	if d := now.Sub(time.Unix(sec, 0)); d > window || d < -window {
		return fmt.Errorf("verify signature: timestamp %ds away from now, outside the %s window", int64(d.Seconds()), window)
	}
	want := mac(secret, ts, body)
	for _, s := range sigs {
		if hmac.Equal([]byte(s), []byte(want)) {
			return nil
		}
	}
	return errors.New("verify signature: no matching signature")
}
