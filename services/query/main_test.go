package main

import (
	"os"
	"testing"

	"github.com/cemhq/cem/pkg/telemetry/maintest"
	"github.com/cemhq/cem/services/query/internal/app"
)

func TestMain(m *testing.M) {
	maintest.Dispatch[app.Config](main)
	os.Exit(m.Run())
}

// TestInvalidConfigExits2 starts the real main function with one invalid
// variable per rule of Config.Validate (and of the ClickHouse connection's
// Validate it includes): exit status 2, the variable named.
func TestInvalidConfigExits2(t *testing.T) {
	base := []string{"CEM_QUERY_TOKENS=ops:0123456789abcdef"}
	maintest.ExpectConfigErrors(t, base, []maintest.Case{
		{Env: "CEM_HTTP_ADDR="},
		{Env: "CEM_CLICKHOUSE_ADDR=nohostport"},
		{Env: "CEM_CLICKHOUSE_DATABASE=cem;drop"},
		{Env: "CEM_CLICKHOUSE_CLUSTER=a-b"},
		{Env: "CEM_CLICKHOUSE_SHARDED=true", Variable: "CEM_CLICKHOUSE_CLUSTER"},
		{Env: "CEM_CLICKHOUSE_COMPRESSION=zstd"},
		{Env: "CEM_QUERY_TOKENS=tok1"},
		{Env: "CEM_QUERY_TOKENS="},
		{Env: "CEM_QUERY_TOKENS=ops:0123456789abcdef:read+fly"},
		{Env: "CEM_QUERY_TIMEOUT=-1s"},
		{Env: "CEM_QUERY_ERASE_TIMEOUT=0s"},
		{Env: "CEM_QUERY_SHUTDOWN_TIMEOUT=0s"},
		{Env: "CEM_QUERY_MAX_ROWS=0"},
		{Env: "CEM_QUERY_HEAVY_PER_TOKEN=0"},
		{Env: "CEM_QUERY_EXPORT_MAX_ROWS=-1"},
		{Env: "CEM_QUERY_SERVICE_TARGETS=phone=fast"},
		{Env: "CEM_QUERY_MIN_N=-1"}, // envconfig's parse error names it
	})
}
