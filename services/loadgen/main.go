// Command loadgen generates realistic cem traffic and measures the
// pipeline: HTTP load against the collector or a decode-only baseline,
// Kafka preloads and a direct-insert baseline for the processor, a
// ClickHouse dataset and query timings, freshness and end-to-end steps.
// Run "loadgen" without arguments for the modes; see scripts/bench.sh.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"

	"github.com/cemhq/cem/services/loadgen/internal/cli"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	code := cli.Main(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}
