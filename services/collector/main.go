// Command collector receives Segment-compatible events over HTTP and writes
// them to Kafka, answering 2xx only after Kafka acknowledged them. See
// internal/app for the configuration and README.md ("Collector") for the API.
package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"github.com/kelseyhightower/envconfig"

	"github.com/cemhq/cem/pkg/telemetry"
	"github.com/cemhq/cem/services/collector/internal/app"
)

var version = "dev"

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	var cfg app.Config
	if err := envconfig.Process("cem", &cfg); err != nil {
		fmt.Fprintln(os.Stderr, "config:", err)
		os.Exit(2)
	}
	log := telemetry.NewLogger(os.Stderr, cfg.LogConfig, "collector")
	reg := telemetry.NewRegistry("collector", version)
	log.Info("collector starting", "version", version, "addr", cfg.HTTPAddr, "brokers", cfg.Kafka.Brokers)
	if err := app.Run(ctx, cfg, version, nil, log, reg); err != nil {
		log.Error("collector failed", "err", err)
		os.Exit(1)
	}
	log.Info("collector stopped")
}
