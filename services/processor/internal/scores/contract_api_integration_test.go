package scores

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/cemhq/cem/pkg/chmigrate"
	"github.com/cemhq/cem/pkg/itest"
)

type nopPublisher struct{}

func (nopPublisher) Publish(context.Context, []Alert) error { return nil }

const apiToken = "scores-test-query-token"

// TestContractRenewalAPIIntegration: a contract renewed 10 days ago with a
// new end date 20 days ahead ends within 30 days (the new term is not
// renewed); the scorer's result reaches the API: contracts_ending?days=30
// lists the customer with contract_ends_in_days 20, like a contract that
// was never renewed, and not a term renewed without an end date.
func TestContractRenewalAPIIntegration(t *testing.T) {
	conn, chAddr, db := itest.ClickHouse(t)
	require.NoError(t, chmigrate.Apply(context.Background(), conn, chmigrate.Options{Database: db}))
	env := &chEnv{conn: conn, db: db, store: NewClickHouseStore(conn, db)}
	now := time.Now()
	day := 24 * time.Hour
	newEnd := now.Add(20*day + 12*time.Hour) // 20 whole days while the test runs
	p := &population{now: now}
	ev := func(cust, event string, at, end time.Time) genEvent {
		return genEvent{ID: fmt.Sprintf("%s-%s-%d", cust, event, at.UnixMilli()), Key: cust, CustomerID: cust, UserID: cust,
			Type: "track", Event: event, Source: "crm", Channel: "email", At: at, Received: at, ContractID: "k1", ContractEnd: end,
			Props: "{}", Traits: "{}"}
	}
	for _, c := range []string{"renewed-new-end", "never-renewed", "term-renewed"} {
		p.customers = append(p.customers, genCustomer{ID: c, Anon: "anon-" + c})
	}
	p.events = []genEvent{
		ev("renewed-new-end", EvContractStarted, now.Add(-300*day), now.Add(-10*day)),
		ev("renewed-new-end", EvContractRenewed, now.Add(-10*day), newEnd),
		ev("never-renewed", EvContractStarted, now.Add(-300*day), newEnd),
		ev("term-renewed", EvContractStarted, now.Add(-300*day), newEnd),
		ev("term-renewed", EvContractRenewed, now.Add(-10*day), time.Time{}),
	}
	env.insert(t, p, p.events)
	_, err := env.scorer(t, &fakeClock{now}, nopPublisher{}).RunOnce(context.Background())
	require.NoError(t, err)

	url := itest.StartService(t, itest.BuildService(t, "query"), "CEM_HTTP_ADDR", "CEM_CLICKHOUSE_ADDR="+chAddr,
		"CEM_CLICKHOUSE_DATABASE="+env.db, "CEM_QUERY_TOKENS="+apiToken, "CEM_QUERY_MIGRATE=false", "CEM_LOG_LEVEL=warn").URL
	req, err := http.NewRequest("GET", url+"/api/v1/segments/contracts_ending?days=30", nil)
	require.NoError(t, err)
	req.Header.Set("Authorization", "Bearer "+apiToken)
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer func() { _ = resp.Body.Close() }()
	require.Equal(t, http.StatusOK, resp.StatusCode)
	var got struct {
		Members []struct {
			CustomerID string         `json:"customer_id"`
			Fields     map[string]any `json:"fields"`
		} `json:"members"`
	}
	require.NoError(t, json.NewDecoder(resp.Body).Decode(&got))
	ends := map[string]any{}
	for _, m := range got.Members {
		ends[m.CustomerID] = m.Fields["contract_ends_in_days"]
	}
	assert.Equal(t, map[string]any{"renewed-new-end": 20.0, "never-renewed": 20.0}, ends)
}
