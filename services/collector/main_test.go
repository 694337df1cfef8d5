package main

import (
	"os"
	"testing"

	"github.com/cemhq/cem/pkg/telemetry/maintest"
	"github.com/cemhq/cem/services/collector/internal/app"
)

func TestMain(m *testing.M) {
	maintest.Dispatch[app.Config](main)
	os.Exit(m.Run())
}

// TestInvalidConfigExits2 starts the real main function with one invalid
// variable per rule of Config.Validate: exit status 2, the variable named.
func TestInvalidConfigExits2(t *testing.T) {
	maintest.ExpectConfigErrors(t, nil, []maintest.Case{
		{Env: "CEM_WRITE_KEYS=nokey"},
		{Env: "CEM_WRITE_KEYS=web:k,app:k"},
		{Env: "CEM_SERVER_SOURCES=nosuch"},
		{Env: "CEM_HTTP_ADDR="},
		{Env: "CEM_MAX_EVENT_BYTES=0"},
		{Env: "CEM_MAX_BATCH_BYTES=100"},
		{Env: "CEM_IMPORT_MAX_BYTES=100"},
		{Env: "CEM_MAX_INFLIGHT_BYTES=0"},
		{Env: "CEM_MAX_CONCURRENT=0"},
		{Env: "CEM_HTTP_BODY_TIMEOUT=-1s"},
		{Env: "CEM_HTTP_BODY_MIN_RATE=-1"},
		{Env: "CEM_MAX_CONCURRENT_PER_CLIENT=-1"},
		{Env: "CEM_MAX_INFLIGHT_BYTES_PER_CLIENT=-1"},
		{Env: "CEM_MAX_BATCH_EVENTS=-1"},
		{Env: "CEM_IMPORT_MAX_EVENTS=-1"},
		{Env: "CEM_MAX_REJECTIONS_LISTED=0"},
		{Env: "CEM_UNAUTHENTICATED_MAX_BYTES=0"},
		{Env: "CEM_UNAUTHENTICATED_BODY_TIMEOUT=0s"},
		{Env: "CEM_MAX_INFLATE_RATIO=-1"},
		{Env: "CEM_DLQ_MAX_RAW_BYTES=1048576"},
		{Env: "CEM_EVENT_MAX_FUTURE=-1h"},
		{Env: "CEM_EVENT_MAX_PAST=-1h"},
		{Env: "CEM_PRODUCE_TIMEOUT=-1s"},
		{Env: "CEM_SHUTDOWN_TIMEOUT=0s"},
		{Env: "CEM_RATE_LIMIT=-1"},
		{Env: "CEM_RATE_BURST=0", With: []string{"CEM_RATE_LIMIT=100"}},
		{Env: "CEM_DEDUP_SIZE=-1"},
		{Env: "CEM_DEDUP_WINDOW=0s"},
		{Env: "CEM_CORS_CREDENTIALS=true"}, // with the default origin *
		{Env: "CEM_CORS_MAX_AGE=-1s"},
		{Env: "CEM_PUBLIC_URL=collector.example"},
		{Env: "CEM_TRUSTED_PROXIES=10.0.0.0/99"},
		{Env: "CEM_KAFKA_BROKERS="},
		{Env: "CEM_KAFKA_TOPIC="},
		{Env: "CEM_KAFKA_DLQ_TOPIC="},
		{Env: "CEM_KAFKA_COMPRESSION=brotli"},
		{Env: "CEM_KAFKA_LINGER=-1ms"},
		{Env: "CEM_KAFKA_BATCH_SIZE=0"},
		{Env: "CEM_KAFKA_WRITE_TIMEOUT=0s"},
		{Env: "CEM_KAFKA_MAX_ATTEMPTS=0"},
		{Env: "CEM_SUPPRESSION_INTERVAL=0s", With: []string{"CEM_SUPPRESSION_ENABLED=true"}},
		{Env: "CEM_CLICKHOUSE_DATABASE=a.b", With: []string{"CEM_SUPPRESSION_ENABLED=true"}},
	})
}
