// Command devbroker runs the embedded dev Kafka broker (pkg/devkafka) for
// run.sh and local development: one node, topics cem.events, cem.events.dlq
// and cem.alerts, state persisted under CEM_DEVBROKER_DATA_DIR.
package main

import (
	"context"
	"log/slog"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/cemhq/cem/pkg/devkafka"
	"github.com/cemhq/cem/pkg/telemetry"
)

// Config is the dev broker's configuration (environment, prefix CEM_).
type Config struct {
	// LogConfig: CEM_LOG_LEVEL (default info), CEM_LOG_FORMAT (default json).
	telemetry.LogConfig
	// Addr is the listen address (CEM_DEVBROKER_ADDR). Default 127.0.0.1:9092.
	Addr string `envconfig:"DEVBROKER_ADDR" default:"127.0.0.1:9092"`
	// DataDir persists topics, records and group offsets
	// (CEM_DEVBROKER_DATA_DIR). Default .data/kafka; empty keeps all in memory.
	DataDir string `envconfig:"DEVBROKER_DATA_DIR" default:".data/kafka"`
	// Sync fsyncs every produced batch before acknowledging it
	// (CEM_DEVBROKER_SYNC). Default true: an acknowledged event survives an
	// OS crash or power loss; false acknowledges from the page cache
	// (survives a crash of the broker process only), faster.
	Sync bool `envconfig:"DEVBROKER_SYNC" default:"true"`
	// Partitions per topic (CEM_DEVBROKER_PARTITIONS). Default 6.
	Partitions int `envconfig:"DEVBROKER_PARTITIONS" default:"6"`
}

// Validate reports configuration errors, each naming its variable.
func (c Config) Validate() error {
	var v telemetry.ConfigCheck
	v.Require(c.Addr != "", "CEM_DEVBROKER_ADDR", "is required")
	v.Require(c.Partitions >= 1, "CEM_DEVBROKER_PARTITIONS", "must be at least 1, got %d", c.Partitions)
	return v.Err()
}

func main() {
	telemetry.Main("devbroker", "dev", func(ctx context.Context, cfg Config, log *slog.Logger, _ *prometheus.Registry) error {
		return run(ctx, cfg, log, func(string) {})
	})
}

// run serves until ctx ends, calling ready with the listen address once
// the broker accepts connections, then closes it (persisting its state).
func run(ctx context.Context, cfg Config, log *slog.Logger, ready func(addr string)) error {
	b, err := devkafka.Start(devkafka.Config{Addr: cfg.Addr, DataDir: cfg.DataDir, Partitions: cfg.Partitions, NoSync: !cfg.Sync})
	if err != nil {
		return err
	}
	log.Info("devbroker ready", "addr", b.Addr(), "data_dir", cfg.DataDir, "fsync_before_ack", cfg.Sync && cfg.DataDir != "", "partitions", cfg.Partitions,
		"topics", devkafka.DefaultTopics)
	ready(b.Addr())
	<-ctx.Done()
	log.Info("devbroker shutting down")
	b.Close()
	return nil
}
