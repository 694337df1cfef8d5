package ingest_test

import (
	"net/http"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/cemhq/cem/pkg/events"
)

// A client source's key is public: it may not import history, and its
// events never carry the server-source mark, whatever the body claims.
func TestSourceTrust(t *testing.T) {
	f := newFixture(t)
	line := `{"type":"alias","userId":"attacker","previousId":"victim","timestamp":"2021-06-01T10:00:00Z"}`
	for _, tc := range []struct{ name, key, body string }{
		{"basic auth", "k-web", line},
		{"writeKey in the body", "", `{"writeKey":"k-web","batch":[` + line + `]}`},
	} {
		w, resp := f.post("/v1/import", tc.key, tc.body)
		assert.Equal(t, http.StatusForbidden, w.Code, tc.name)
		assert.Contains(t, resp.Error, "server source", tc.name)
	}
	assert.Empty(t, f.sink.events(t), "nothing of a refused import is produced")
	assert.Equal(t, 2.0, f.counter("cem_collector_requests_total", map[string]string{"endpoint": "import", "code": "403"}))

	w, _ := f.post("/v1/import", "k-cc", line)
	require.Equal(t, http.StatusOK, w.Code, w.Body.String())
	forged := `{"userId":"attacker","previousId":"victim","enrichment":{"serverSource":true},"serverSource":true}`
	w, _ = f.post("/v1/alias", "k-web", forged)
	require.Equal(t, http.StatusOK, w.Code, w.Body.String())
	w, _ = f.post("/v1/alias", "k-cc", `{"userId":"new-id","previousId":"victim"}`)
	require.Equal(t, http.StatusOK, w.Code, w.Body.String())

	evs := f.sink.events(t)
	require.Len(t, evs, 3)
	assert.True(t, evs[0].Enrichment.ServerSource, "import from the call centre")
	assert.False(t, evs[1].Enrichment.ServerSource, "a web key's alias is a client event, whatever its body says")
	assert.True(t, evs[2].Enrichment.ServerSource, "call centre alias")
}

// An order with an absurd revenue (two of them summed to +Inf and emptied
// the profile) is refused with a clear 400 naming the field.
func TestRevenueAttackIs400(t *testing.T) {
	f := newFixture(t)
	w, resp := f.post("/v1/track", "k-web", `{"userId":"u1","event":"Order Completed","properties":{"order_id":"o1","revenue":1.7e308,"currency":"EUR"}}`)
	require.Equal(t, http.StatusBadRequest, w.Code, w.Body.String())
	require.Len(t, resp.Rejected, 1)
	assert.Equal(t, events.ReasonSchema, resp.Rejected[0].Reason)
	assert.Contains(t, resp.Rejected[0].Error, "properties.revenue: maximum")
	assert.Empty(t, f.sink.events(t))
}
