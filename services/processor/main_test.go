package main

import (
	"os"
	"testing"

	"github.com/cemhq/cem/pkg/telemetry/maintest"
	"github.com/cemhq/cem/services/processor/internal/app"
)

func TestMain(m *testing.M) {
	maintest.Dispatch[app.Config](main)
	os.Exit(m.Run())
}

// TestInvalidConfigExits2 starts the real main function with one invalid
// variable per rule of Config.Validate (and of the scores' and ClickHouse
// connection's Validate it includes): exit status 2, the variable named.
func TestInvalidConfigExits2(t *testing.T) {
	maintest.ExpectConfigErrors(t, nil, []maintest.Case{
		{Env: "CEM_KAFKA_BROKERS="},
		{Env: "CEM_KAFKA_TOPIC="},
		{Env: "CEM_KAFKA_DLQ_TOPIC="},
		{Env: "CEM_CLICKHOUSE_ADDR=nohostport"},
		{Env: "CEM_PROCESSOR_GROUP="},
		{Env: "CEM_PROCESSOR_FLUSH_ROWS=-5"},
		{Env: "CEM_PROCESSOR_FLUSH_INTERVAL=0s"},
		{Env: "CEM_PROCESSOR_FETCH_MAX_WAIT=-1s"},
		{Env: "CEM_PROCESSOR_SESSION_GAP=0"},
		{Env: "CEM_PROCESSOR_SESSION_MAX=1m"},
		{Env: "CEM_PROCESSOR_ALLOWED_LATENESS=-1m"},
		{Env: "CEM_PROCESSOR_STATE_MAX_CUSTOMERS=0"},
		{Env: "CEM_PROCESSOR_IDENTITY_MAX_CLUSTERS=0"},
		{Env: "CEM_PROCESSOR_STATE_MAX_BYTES=0"},
		{Env: "CEM_PROCESSOR_PROBE_INTERVAL=0s"},
		{Env: "CEM_PROCESSOR_RETRY_INITIAL=0s"},
		{Env: "CEM_PROCESSOR_RETRY_MAX=1ms"},
		{Env: "CEM_PROCESSOR_SHUTDOWN_TIMEOUT=0s"},
		{Env: "CEM_PROCESSOR_FLUSH_ROWS=many"}, // envconfig's parse error names it too
		{Env: "CEM_SCORES_INTERVAL=0s"},
		{Env: "CEM_SCORES_RUN_TIMEOUT=-1s"},
		{Env: "CEM_SCORES_HALF_LIFE=0s"},
		{Env: "CEM_SCORES_PRIOR=-1"},
		{Env: "CEM_SCORES_TOP_SIGNALS=-1"},
		{Env: "CEM_SCORES_SIGNAL_WEIGHTS=order:2"},
		{Env: "CEM_SCORES_PENALTIES=inactivity:101"},
		{Env: "CEM_SCORES_RESPONSE_TARGETS=phone:1h"},
		{Env: "CEM_SCORES_RESOLUTION_TARGETS=default:0s"},
		{Env: "CEM_SCORES_CHURN_HIGH_BELOW=90"},
		{Env: "CEM_SCORES_CHURN_MEDIUM_BELOW=101"},
		{Env: "CEM_SCORES_RECENT_DAYS=0"},
		{Env: "CEM_SCORES_CONTRACT_ENDING_DAYS=-1"},
		{Env: "CEM_SCORES_ORDER_DECLINE=1"},
		{Env: "CEM_SCORES_SLEEPER_K=0"},
		{Env: "CEM_SCORES_SLEEPER_MIN_DAYS=-1"},
		{Env: "CEM_SCORES_SLEEPER_MIN_ACTIVE_DAYS=1"},
		{Env: "CEM_SCORES_NEW_DAYS=0"},
		{Env: "CEM_SCORES_DORMANT_DAYS=0"},
		{Env: "CEM_SCORES_CHURNED_DAYS=30"},
		{Env: "CEM_SCORES_RESURRECT_DAYS=0"},
		{Env: "CEM_SCORES_MIN_RESPONSES=0"},
		{Env: "CEM_ALERTS_TICKET_RESPONSE_TARGET=0s"},
		{Env: "CEM_ALERTS_TICKET_CHECK_INTERVAL=-1s"},
		{Env: "CEM_ALERTS_TICKET_LOOKBACK=0s"},
		{Env: "CEM_KAFKA_ALERT_TOPIC="},
	})
}
