package webhook

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"time"

	"github.com/cenkalti/backoff/v5"

	"github.com/cemhq/cem/pkg/alerting"
)

// Outcome is the result of delivering one alert to one target.
type Outcome struct {
	Delivered  bool
	Attempts   int
	HTTPStatus int    // of the last attempt that got an answer
	Err        string // why it was dead-lettered
	Started    time.Time
	Done       time.Time
}

// Deliverer POSTs deliveries with retries.
type Deliverer struct {
	cfg    Config
	client *http.Client
	m      *Metrics
	now    func() time.Time
}

// NewDeliverer returns a Deliverer; client may be nil (a client with
// cfg.Timeout per attempt).
func NewDeliverer(cfg Config, client *http.Client, m *Metrics) *Deliverer {
	if client == nil {
		client = &http.Client{}
	}
	return &Deliverer{cfg: cfg, client: client, m: m, now: time.Now}
}

// statusError is an answer that is not 2xx.
type statusError struct{ code int }

func (e *statusError) Error() string {
	return fmt.Sprintf("receiver answered %d %s", e.code, http.StatusText(e.code))
}

// retryable: 5xx, 408 and 429 answers and every transport error (timeouts,
// refused connections); other 4xx are the receiver refusing the request as
// such.
func retryable(err error) bool {
	var se *statusError
	if errors.As(err, &se) {
		return se.code >= 500 || se.code == http.StatusRequestTimeout || se.code == http.StatusTooManyRequests
	}
	return true
}

// Deliver sends a to t, retrying with backoff until delivered, MaxAttempts
// is reached, a non-retryable answer comes, or ctx ends (the outcome is
// then not final: ctx's error is returned and nothing must be recorded).
func (d *Deliverer) Deliver(ctx context.Context, t Target, a alerting.Alert, c Customer) (Outcome, error) {
	out := Outcome{Started: d.now()}
	body, err := Body(t, a, c, out.Started)
	if err != nil {
		return out, fmt.Errorf("encode delivery: %w", err)
	}
	p := backoff.NewExponentialBackOff()
	p.InitialInterval, p.MaxInterval = d.cfg.RetryInitial, d.cfg.RetryMax
	_, err = backoff.Retry(ctx, func() (struct{}, error) {
		out.Attempts++
		if out.Attempts > 1 {
			d.m.Retries.WithLabelValues(t.Name).Inc()
		}
		code, err := d.attempt(ctx, t, a, body, out.Attempts)
		if code != 0 {
			out.HTTPStatus = code
		}
		if err != nil && !retryable(err) {
			return struct{}{}, backoff.Permanent(err)
		}
		return struct{}{}, err
	}, backoff.WithBackOff(p), backoff.WithMaxTries(uint(d.cfg.MaxAttempts)), backoff.WithMaxElapsedTime(0))
	out.Done = d.now()
	if err != nil && ctx.Err() != nil {
		return out, ctx.Err()
	}
	if err != nil {
		out.Err = fmt.Sprintf("%d attempts, last: %v", out.Attempts, err)
		return out, nil
	}
	out.Delivered = true
	return out, nil
}

func (d *Deliverer) attempt(ctx context.Context, t Target, a alerting.Alert, body []byte, n int) (int, error) {
	actx, cancel := context.WithTimeout(ctx, d.cfg.Timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(actx, http.MethodPost, t.URL, bytes.NewReader(body))
	if err != nil {
		return 0, backoff.Permanent(fmt.Errorf("build request: %w", err))
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "cem-webhook/1")
	req.Header.Set(alerting.IdempotencyHeader, a.ID)
	req.Header.Set(alerting.AttemptHeader, strconv.Itoa(n))
	if t.Secret != "" {
		req.Header.Set(alerting.SignatureHeader, alerting.Sign([]byte(t.Secret), d.now(), body))
	}
	start := time.Now()
	resp, err := d.client.Do(req)
	d.m.AttemptDuration.WithLabelValues(t.Name).Observe(time.Since(start).Seconds())
	if err != nil {
		if actx.Err() != nil && ctx.Err() == nil {
			return 0, fmt.Errorf("no answer within %s", d.cfg.Timeout)
		}
		return 0, fmt.Errorf("post: %w", err)
	}
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	_ = resp.Body.Close()
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return resp.StatusCode, &statusError{resp.StatusCode}
	}
	return resp.StatusCode, nil
}
