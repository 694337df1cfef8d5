package telemetry

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"syscall"

	"github.com/kelseyhightower/envconfig"
	"github.com/prometheus/client_golang/prometheus"
)

// Configurable is what Main needs of a service's configuration struct: it
// embeds LogConfig (which provides Logging) and may have a Validate method.
type Configurable interface {
	Logging() LogConfig
}

// Logging returns the logging configuration; it makes every configuration
// struct that embeds LogConfig a Configurable.
func (c LogConfig) Logging() LogConfig { return c }

// Main is the whole main function of a service: it loads C from the CEM_
// environment variables (envconfig), validates it when C has a Validate
// method, builds the logger and the metrics registry, and calls run with a
// context that ends on SIGINT or SIGTERM. It exits 2 on configuration
// errors, 1 when run fails, 0 after a clean shutdown.
func Main[C Configurable](service, version string, run func(ctx context.Context, cfg C, log *slog.Logger, reg *prometheus.Registry) error) {
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	var cfg C
	if err := envconfig.Process("cem", &cfg); err != nil {
		fmt.Fprintln(os.Stderr, "config:", err)
		os.Exit(2)
	}
	if v, ok := any(cfg).(interface{ Validate() error }); ok {
		if err := v.Validate(); err != nil {
			fmt.Fprintln(os.Stderr, "config:", err)
			os.Exit(2)
		}
	}
	log := NewLogger(os.Stderr, cfg.Logging(), service)
	reg := NewRegistry(service, version)
	log.Info(service+" starting", "version", version)
	err := run(ctx, cfg, log, reg)
	stop()
	if err != nil {
		log.Error(service+" failed", "err", err)
		os.Exit(1)
	}
	log.Info(service + " stopped")
}
