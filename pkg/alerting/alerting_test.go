package alerting

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestCooldownsRaiseOncePerCooldown(t *testing.T) {
	c := NewCooldowns()
	t0 := time.Date(2026, 1, 1, 10, 0, 0, 0, time.UTC)
	first := New(Detractor, "c1", "web:m1", t0, t0)
	assert.True(t, c.Allow(first))
	second := New(Detractor, "c1", "web:m2", t0.Add(time.Hour), t0.Add(time.Hour))
	assert.False(t, c.Allow(second), "within the cool-down")
	again := first
	again.RaisedAt = t0.Add(2 * time.Hour)
	assert.True(t, c.Allow(again), "the same trigger processed again keeps its id")
	r, _ := c.Last("c1", Detractor)
	assert.Equal(t, t0, r.At, "a re-raise does not extend the cool-down")
	assert.False(t, c.AllowOnce(again), "a periodic rule raises an id once")
	assert.True(t, c.Allow(New(Complaint, "c1", "web:m3", t0, t0.Add(time.Hour))), "other reason")
	assert.True(t, c.Allow(New(Detractor, "c2", "web:m4", t0, t0.Add(time.Hour))), "other customer")
	later := t0.Add(MustRule(Detractor).Cooldown)
	assert.True(t, c.Allow(New(Detractor, "c1", "web:m5", later, later)), "after the cool-down")
}

func TestCooldownsRememberKeepsLatest(t *testing.T) {
	c := NewCooldowns()
	t0 := time.Now()
	c.Remember("c", Complaint, Raised{At: t0, ID: "b"})
	c.Remember("c", Complaint, Raised{At: t0.Add(-time.Hour), ID: "a"})
	r, ok := c.Last("c", Complaint)
	require.True(t, ok)
	assert.Equal(t, "b", r.ID)
	c.Forget(t0.Add(MaxCooldown() + time.Minute))
	assert.Equal(t, 0, c.Len())
}

func TestRulesAreComplete(t *testing.T) {
	for _, r := range Rules() {
		assert.NotEmpty(t, r.Action, r.Reason)
		assert.Positive(t, r.Cooldown, r.Reason)
		assert.Contains(t, []Firer{Stream, Timer, Scorer}, r.Firer)
	}
	assert.Len(t, Reasons(), 8)
	assert.Panics(t, func() { MustRule("nope") })
}

func TestSignatureVerify(t *testing.T) {
	secret := []byte("s3cret-s3cret")
	body := []byte(`{"alert":{"alert_id":"x"}}`)
	now := time.Unix(1_800_000_000, 0)
	h := Sign(secret, now, body)
	require.NoError(t, Verify(secret, h, body, now.Add(time.Minute), DefaultReplayWindow))
	assert.ErrorContains(t, Verify(secret, h, []byte(`{"alert":{"alert_id":"y"}}`), now, DefaultReplayWindow), "no matching")
	assert.ErrorContains(t, Verify([]byte("other"), h, body, now, DefaultReplayWindow), "no matching")
	assert.ErrorContains(t, Verify(secret, h, body, now.Add(6*time.Minute), DefaultReplayWindow), "window")
	assert.ErrorContains(t, Verify(secret, "v1=abc", body, now, DefaultReplayWindow), "malformed")
	// Key rotation: a header with two v1 values matches either.
	assert.NoError(t, Verify(secret, h+",v1=00", body, now, DefaultReplayWindow))
}
