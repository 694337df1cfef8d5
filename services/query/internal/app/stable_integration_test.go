package app_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestProfileAnswersAreStableIntegration: identical GET /customers/{id}
// calls give byte-identical JSON: revenue is summed exactly (2292.1 plus ten
// orders of 0.1 is 2293.1, not 2293.1000000000004 or 2293.0999999999995
// depending on the order of addition) and lists are sorted.
func TestProfileAnswersAreStableIntegration(t *testing.T) {
	forEachLayout(t, func(t *testing.T, e *env) {
		ctx := context.Background()
		const cust = "stable-buyer"
		base := time.Now().Add(-time.Hour).Truncate(time.Second)
		chans := []string{"web", "store", "app", "phone", "email"}
		srcs := []string{"web", "pos", "app", "callcenter", "crm"}
		b, err := e.conn.PrepareBatch(ctx, "INSERT INTO "+e.db+`.events (event_id, message_id, source, type, event, customer_key,
 customer_id, user_id, session_id, channel, timestamp, ts_ms, received_at, received_ms, revenue, currency, version)`)
		require.NoError(t, err)
		revenues := []float64{0.1, 0.1, 0.1, 2292.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1}
		for i, rev := range revenues {
			ts := base.Add(time.Duration(i) * time.Minute)
			id := fmt.Sprintf("order-%02d", i)
			require.NoError(t, b.Append(id, id, srcs[i%len(srcs)], "track", "Order Completed", cust, cust, cust, "s1",
				chans[i%len(chans)], ts, ts.UnixMilli(), ts, ts.UnixMilli(), rev, "EUR", uint64(1)))
		}
		require.NoError(t, b.Send())
		cb, err := e.conn.PrepareBatch(ctx, "INSERT INTO "+e.db+".customer_ids (customer_id, id, deleted, version)")
		require.NoError(t, err)
		require.NoError(t, cb.Append(cust, cust, uint8(0), uint64(1)))
		require.NoError(t, cb.Send())

		var first []byte
		for i := range 8 {
			code, body := e.do("GET", "/api/v1/customers/"+cust, nil)
			require.Equal(t, http.StatusOK, code, string(body))
			if i == 0 {
				first = body
				continue
			}
			require.True(t, bytes.Equal(first, body), "call %d differs:\n%s\n%s", i, first, body)
		}
		assert.Contains(t, string(first), `"revenue":2293.1,`)
		var p struct {
			Channels []string `json:"channels"`
			Sources  []string `json:"sources"`
			Orders   int      `json:"orders"`
		}
		require.NoError(t, json.Unmarshal(first, &p))
		assert.Equal(t, []string{"app", "email", "phone", "store", "web"}, p.Channels)
		assert.Equal(t, []string{"app", "callcenter", "crm", "pos", "web"}, p.Sources)
		assert.Equal(t, len(revenues), p.Orders)
	})
}
