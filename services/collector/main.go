// Command collector receives Segment-compatible events over HTTP and writes
// them to Kafka, answering 2xx only after Kafka acknowledged them. See
// internal/app for the configuration and README.md ("Collector") for the API.
package main

import (
	"context"
	"log/slog"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/cemhq/cem/pkg/telemetry"
	"github.com/cemhq/cem/services/collector/internal/app"
)

var version = "dev"

func main() {
	telemetry.Main("collector", version, func(ctx context.Context, cfg app.Config, log *slog.Logger, reg *prometheus.Registry) error {
		return app.Run(ctx, cfg, version, nil, log, reg)
	})
}
