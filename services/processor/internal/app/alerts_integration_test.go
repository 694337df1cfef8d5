package app_test

import (
	"context"
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/segmentio/kafka-go"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/cemhq/cem/pkg/alerting"
	"github.com/cemhq/cem/pkg/events"
	"github.com/cemhq/cem/pkg/itest"
	"github.com/cemhq/cem/services/processor/internal/scores"
)

// alertDay is the day of the alert tests' events, which their messages name.
var alertDay = time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC)

// Event-triggered alerts are raised by the processor as it processes the
// event: written to table alerts and produced to cem.alerts, at most one
// per customer and reason within the rule's cool-down (also across a
// restart: the cool-downs come back from ClickHouse).
func TestStreamAlertsIntegration(t *testing.T) {
	e := newEnv(t)
	p := e.start(e.config("cem-processor"))
	b := newEvbAt("web", alertDay)
	track := func(user, name string, min float64, pr map[string]any) *events.Event {
		return b.ev(events.TypeTrack, "", user, min, named(name), props(pr))
	}
	det := track("u-1", "NPS Submitted", 0, map[string]any{"score": 3})
	trig := []*events.Event{
		det,
		track("u-1", "NPS Submitted", 5, map[string]any{"score": 2}), // within the cool-down: no second alert
		track("u-1", "CSAT Submitted", 6, map[string]any{"score": 2}),
		track("u-2", "CSAT Submitted", 6, map[string]any{"score": 4}), // satisfied: nothing
		track("u-2", "NPS Submitted", 7, map[string]any{"score": 9}),  // promoter: nothing
		track("u-2", "Complaint Filed", 8, nil),
		track("u-3", "Payment Failed", 9, map[string]any{"order_id": "o-1", "amount": 20}),
		track("u-4", "Payment Failed", 9, map[string]any{"amount": 5}), // no order: nothing
	}
	e.produce(trig...)
	want := map[string]string{ // alert id -> reason
		alerting.ID(alerting.Detractor, "u-1", det.Source+":"+det.MessageID):             alerting.Detractor,
		alerting.ID(alerting.LowCSAT, "u-1", trig[2].Source+":"+trig[2].MessageID):       alerting.LowCSAT,
		alerting.ID(alerting.Complaint, "u-2", trig[5].Source+":"+trig[5].MessageID):     alerting.Complaint,
		alerting.ID(alerting.PaymentFailed, "u-3", trig[6].Source+":"+trig[6].MessageID): alerting.PaymentFailed,
	}
	e.waitEvents(uint64(len(trig)))
	itest.Eventually(t, 30*time.Second, func() bool { return e.countOr0("SELECT count() FROM {db}.alerts FINAL") >= 4 }, "4 alerts in ClickHouse")
	assert.Equal(t, want, e.alertReasons())
	got := readAlerts(t, e.broker, 4)
	for id, a := range got {
		assert.Equal(t, want[id], a.Reason, id)
		assert.Equal(t, alerting.MustRule(a.Reason).Action, a.Action, id)
		assert.False(t, a.ReceivedAt.IsZero(), id)
		assert.NotEmpty(t, a.Message, id)
	}
	assert.Equal(t, "detractor: NPS 3 on 2026-03-02 (unknown:NPS Submitted)", got[alerting.ID(alerting.Detractor, "u-1", det.Source+":"+det.MessageID)].Message)
	assert.Equal(t, float64(1), metric(t, p.reg, "cem_processor_alerts_cooldown_suppressed_total", alerting.Detractor))
	assert.Equal(t, uint64(4), histogramCount(t, p.reg, "cem_processor_alert_latency_seconds"))

	// A restarted processor remembers the cool-down: another detractor
	// answer of u-1 raises nothing, one of u-5 does.
	p.stop(t)
	p2 := e.start(e.config("cem-processor"))
	again := track("u-1", "NPS Submitted", 30, map[string]any{"score": 0})
	other := track("u-5", "NPS Submitted", 31, map[string]any{"score": 6})
	e.produce(again, other)
	itest.Eventually(t, 30*time.Second, func() bool { return e.countOr0("SELECT count() FROM {db}.alerts FINAL") >= 5 }, "u-5's alert")
	itest.Eventually(t, 10*time.Second, func() bool {
		return metric(t, p2.reg, "cem_processor_alerts_cooldown_suppressed_total", alerting.Detractor) == 1
	}, "u-1's second answer suppressed after the restart")
	want[alerting.ID(alerting.Detractor, "u-5", other.Source+":"+other.MessageID)] = alerting.Detractor
	assert.Equal(t, want, e.alertReasons())
}

// The ticket timer raises ticket_overdue for a ticket without a reply
// within the response target, once.
func TestTicketTimerIntegration(t *testing.T) {
	e := newEnv(t)
	cfg := e.config("cem-processor")
	cfg.Scores = scores.DefaultConfig()
	cfg.Scores.Interval = time.Hour
	cfg.Alerts.TicketResponseTarget = time.Hour
	cfg.Alerts.TicketCheckInterval = 100 * time.Millisecond
	cfg.Alerts.TicketLookback = 3 * 365 * 24 * time.Hour
	require.NoError(t, cfg.Validate())
	b := newEvbAt("callcenter", alertDay)
	ticket := func(user, name, id string, min float64) *events.Event {
		return b.ev(events.TypeTrack, "", user, min, named(name), props(map[string]any{"ticket_id": id, "channel": "phone"}))
	}
	open := ticket("t-user", "Ticket Opened", "t-1", 0)
	evs := []*events.Event{open, ticket("t-user", "Ticket Opened", "t-2", 1), ticket("t-user", "Ticket Replied", "t-2", 30)}
	e.produce(evs...)
	p := e.start(cfg)
	e.waitEvents(uint64(len(evs)))
	id := alerting.ID(alerting.TicketOverdue, "t-user", open.Source+":"+open.MessageID)
	itest.Eventually(t, 30*time.Second, func() bool { return len(e.alertReasons()) > 0 }, "the overdue ticket alerted")
	// Later checks raise it no more (the same trigger, AllowOnce).
	itest.Eventually(t, 10*time.Second, func() bool {
		return metric(t, p.reg, "cem_processor_stream_alerts_total", alerting.TicketOverdue) >= 1
	}, "counted")
	got := readAlerts(t, e.broker, 1)
	assert.Equal(t, alerting.TicketOverdue, got[id].Reason)
	assert.Contains(t, got[id].Message, "ticket t-1 opened 2026-03-02 10:00:00 via phone has no reply")
	assert.Equal(t, map[string]string{id: alerting.TicketOverdue}, e.alertReasons())
}

func (e *env) alertReasons() map[string]string {
	e.t.Helper()
	rows, err := e.conn.Query(context.Background(), e.sql("SELECT alert_id, reason FROM {db}.alerts FINAL"))
	if err != nil {
		return nil
	}
	defer rows.Close()
	out := map[string]string{}
	for rows.Next() {
		var id, reason string
		require.NoError(e.t, rows.Scan(&id, &reason))
		out[id] = reason
	}
	return out
}

// readAlerts reads n distinct alerts from cem.alerts (from the start, its
// own consumer group) and checks that each is keyed by its customer.
func readAlerts(t *testing.T, broker string, n int) map[string]alerting.Alert {
	t.Helper()
	r := kafka.NewReader(kafka.ReaderConfig{Brokers: []string{broker}, Topic: "cem.alerts", GroupID: fmt.Sprintf("read-%d", time.Now().UnixNano()),
		StartOffset: kafka.FirstOffset, MaxWait: 100 * time.Millisecond})
	defer func() { _ = r.Close() }()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	out := map[string]alerting.Alert{}
	for len(out) < n {
		m, err := r.FetchMessage(ctx)
		require.NoError(t, err, "read %d of %d alerts", len(out), n)
		var a alerting.Alert
		require.NoError(t, json.Unmarshal(m.Value, &a))
		require.Equal(t, a.CustomerID, string(m.Key))
		out[a.ID] = a
	}
	return out
}

func histogramCount(t *testing.T, reg *prometheus.Registry, name string) uint64 {
	t.Helper()
	mfs, err := reg.Gather()
	require.NoError(t, err)
	for _, mf := range mfs {
		if mf.GetName() == name && len(mf.GetMetric()) > 0 {
			return mf.GetMetric()[0].GetHistogram().GetSampleCount()
		}
	}
	return 0
}

// TestTicketTimerSkipsErasedIntegration: the ticket timer raises no alert
// for a customer erased on request whose overdue ticket it still finds.
func TestTicketTimerSkipsErasedIntegration(t *testing.T) {
	e := newEnv(t)
	cfg := e.config("cem-processor")
	b := newEvbAt("callcenter", alertDay)
	ticket := func(user, id string) *events.Event {
		return b.ev(events.TypeTrack, "", user, 0, named("Ticket Opened"), props(map[string]any{"ticket_id": id, "channel": "phone"}))
	}
	e.produce(ticket("kept-user", "t-1"), ticket("gone-user", "t-2"))
	first := e.start(cfg) // no timer: stores the tickets
	e.waitEvents(2)
	first.stop(t)

	// gone-user is erased from here on (the erasure's delete has not run).
	sb, err := e.conn.PrepareBatch(context.Background(), e.sql("INSERT INTO {db}.suppressed_ids (id, customer_id, suppressed_at, reason, receipt_id, active, version)"))
	require.NoError(t, err)
	require.NoError(t, sb.Append("gone-user", "gone-user", time.Now(), "gdpr_erasure", "r", uint8(1), uint64(1)))
	require.NoError(t, sb.Send())
	cfg.Scores = scores.DefaultConfig()
	cfg.Scores.Interval = time.Hour
	cfg.Alerts.TicketResponseTarget = time.Hour
	cfg.Alerts.TicketCheckInterval = 100 * time.Millisecond
	cfg.Alerts.TicketLookback = 3 * 365 * 24 * time.Hour
	require.NoError(t, cfg.Validate())
	p := e.start(cfg)
	itest.Eventually(t, 30*time.Second, func() bool { return len(e.alertReasons()) > 0 }, "the kept customer's overdue ticket alerted")
	itest.Eventually(t, 10*time.Second, func() bool {
		return metric(t, p.reg, "cem_processor_stream_alerts_total", alerting.TicketOverdue) >= 1
	}, "published")
	for id := range e.alertReasons() {
		assert.NotContains(t, id, "gone-user", "no alert for the erased customer")
	}
	for id := range readAlerts(t, e.broker, 1) {
		assert.NotContains(t, id, "gone-user")
	}
}
