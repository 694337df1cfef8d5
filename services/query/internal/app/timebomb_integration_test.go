package app_test

import (
	"context"
	"fmt"
	"net/url"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/cemhq/cem/services/query/internal/experience"
	"github.com/cemhq/cem/services/query/internal/journey"
	"github.com/cemhq/cem/services/query/internal/paths"
)

// Time bombs: an event stamped 9999-12-31 (stored before the collector
// bounded event times, or inserted directly) leaves the default paths and
// journeys unchanged (their range ends at the clock, not at the newest
// event), and neither it nor an event of 1900 becomes a customer's first
// or last seen.
func TestTimeBombsIntegration(t *testing.T) {
	e := newEnv(t)
	now := time.Now().Truncate(time.Second)
	at := func(days, min int) int64 {
		return now.Add(-time.Duration(days)*24*time.Hour + time.Duration(min)*time.Minute).UnixMilli()
	}
	score := func(v float64) *float64 { return &v }
	d := &dataset{base: now}
	for i := range 6 {
		c := fmt.Sprintf("c%d", i)
		d.Customers = append(d.Customers, cust{User: c})
		mk := func(min int, event string, sc *float64) ev {
			return ev{ID: fmt.Sprintf("web:%s-%d", c, min), Key: c, User: c, Session: c, Type: "track", Event: event, Channel: "web",
				Source: "web", Ms: at(i+1, min), Score: sc}
		}
		next := []string{"Order Completed", "Cart Viewed"}[i%2]
		d.Events = append(d.Events, mk(0, "Home", nil), mk(1, "Checkout Started", nil), mk(2, next, nil),
			mk(3, "NPS Submitted", score(float64([]int{2, 10}[i%2]))))
	}
	d.load(t, e.conn, e.db)

	pathsURL := "/api/v1/paths?anchor=" + url.QueryEscape("Checkout Started") + "&depth=2"
	var before paths.Result
	e.json("GET", pathsURL, nil, &before)
	require.Len(t, before.Steps, 2, "the default range (the last 30 days) holds the data")
	var jBefore experience.Journeys
	e.json("GET", "/api/v1/experience/journeys?depth=2", nil, &jBefore)
	var pBefore journey.Profile
	e.json("GET", "/api/v1/customers/c0", nil, &pBefore)

	// c0 also has events in 9999 and in 1900.
	b, err := e.conn.PrepareBatch(context.Background(), "INSERT INTO "+e.db+`.events (event_id, message_id, source, type, event,
 customer_key, customer_id, user_id, session_id, channel, timestamp, ts_ms, version)`)
	require.NoError(t, err)
	for _, bomb := range []struct {
		id, event string
		at        time.Time
		ts        time.Time // the DateTime column cannot hold 9999 or 1900
	}{
		{"web:bomb-future", "Checkout Started", time.Date(9999, 12, 31, 0, 0, 0, 0, time.UTC), time.Date(2105, 12, 31, 0, 0, 0, 0, time.UTC)},
		{"web:bomb-future-2", "Complaint Filed", time.Date(9999, 12, 31, 0, 1, 0, 0, time.UTC), time.Date(2105, 12, 31, 0, 0, 0, 0, time.UTC)},
		{"web:bomb-past", "Home", time.Date(1900, 1, 1, 0, 0, 0, 0, time.UTC), time.Date(1970, 1, 2, 0, 0, 0, 0, time.UTC)},
	} {
		require.NoError(t, b.Append(bomb.id, bomb.id, "web", "track", bomb.event, "c0", "c0", "c0", "bomb", "web", bomb.ts, bomb.at.UnixMilli(), uint64(1)))
	}
	require.NoError(t, b.Send())

	var after paths.Result
	e.json("GET", pathsURL, nil, &after)
	assert.Equal(t, before.Steps, after.Steps)
	assert.Equal(t, before.Paths, after.Paths)
	assert.LessOrEqual(t, after.ToMs, time.Now().UnixMilli()+1, "the default range ends at the clock")
	var jAfter experience.Journeys
	e.json("GET", "/api/v1/experience/journeys?depth=2", nil, &jAfter)
	for _, r := range []*paths.Result{jBefore.Detractors, jBefore.Promoters, jAfter.Detractors, jAfter.Promoters} {
		r.FromMs, r.ToMs = 0, 0 // the clock moved on
	}
	require.NotEmpty(t, jBefore.Compared)
	assert.Equal(t, jBefore, jAfter)
	var pAfter journey.Profile
	e.json("GET", "/api/v1/customers/c0", nil, &pAfter)
	assert.Equal(t, pBefore.FirstSeenMs, pAfter.FirstSeenMs, "1900 is not first seen")
	assert.Equal(t, pBefore.LastSeenMs, pAfter.LastSeenMs, "9999 is not last seen")
	assert.Equal(t, pBefore.Events+3, pAfter.Events, "the events themselves are kept")
}
