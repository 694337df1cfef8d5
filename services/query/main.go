// Command query serves the cem journey API for CX teams on :8090. See
// internal/app for the wiring and README.md ("Query service") for the
// endpoints and configuration.
package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"github.com/kelseyhightower/envconfig"

	"github.com/cemhq/cem/pkg/telemetry"
	"github.com/cemhq/cem/services/query/internal/app"
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
	log := telemetry.NewLogger(os.Stderr, cfg.LogConfig, "query")
	reg := telemetry.NewRegistry("query", version)
	log.Info("query service starting", "version", version, "addr", cfg.HTTPAddr, "database", cfg.ClickHouse.Database)
	if err := app.Run(ctx, cfg, log, reg); err != nil {
		log.Error("query service failed", "err", err)
		os.Exit(1)
	}
	log.Info("query service stopped")
}
