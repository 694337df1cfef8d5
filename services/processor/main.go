// Command processor consumes cem.events and writes identities, sessions and
// customer timelines into ClickHouse. See internal/app for the wiring and
// README.md ("Processor") for configuration and guarantees.
package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"github.com/kelseyhightower/envconfig"

	"github.com/cemhq/cem/pkg/telemetry"
	"github.com/cemhq/cem/services/processor/internal/app"
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
	if err := cfg.Validate(); err != nil {
		fmt.Fprintln(os.Stderr, "config:", err)
		os.Exit(2)
	}
	log := telemetry.NewLogger(os.Stderr, cfg.LogConfig, "processor")
	reg := telemetry.NewRegistry("processor", version)
	log.Info("processor starting", "version", version, "group", cfg.Processor.Group, "topic", cfg.Kafka.Topic)
	if err := app.Run(ctx, cfg, log, reg); err != nil {
		log.Error("processor failed", "err", err)
		os.Exit(1)
	}
	log.Info("processor stopped")
}
