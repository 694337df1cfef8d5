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
// embeds LogConfig (which provides Logging).
type Configurable interface {
	Logging() LogConfig
}

// Logging returns the logging configuration; it makes every configuration
// struct that embeds LogConfig a Configurable.
func (c LogConfig) Logging() LogConfig { return c }

// Validated is the constraint on a pointer to a service's configuration:
// Validate must be in the method set of *C (a method on C or on *C), so a
// configuration without one does not compile instead of going unchecked.
type Validated[C any] interface {
	*C
	Configurable
	// Validate reports configuration errors, each naming its variable.
	Validate() error
}

// Main is the whole main function of a service: it loads C from the CEM_
// environment variables (envconfig), validates it, builds the logger and
// the metrics registry, and calls run with a context that ends on SIGINT or
// SIGTERM. It exits 2 on configuration errors (the message names the
// variable), 1 when run fails, 0 after a clean shutdown. P is inferred:
// telemetry.Main("x", version, run) with run taking the Config value.
func Main[C any, P Validated[C]](service, version string, run func(ctx context.Context, cfg C, log *slog.Logger, reg *prometheus.Registry) error) {
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	cfg, err := LoadConfig[C, P]()
	if err != nil {
		fmt.Fprintln(os.Stderr, "config:", err)
		os.Exit(2)
	}
	log := NewLogger(os.Stderr, P(&cfg).Logging(), service)
	reg := NewRegistry(service, version)
	log.Info(service+" starting", "version", version)
	err = run(ctx, cfg, log, reg)
	stop()
	if err != nil {
		log.Error(service+" failed", "err", err)
		os.Exit(1)
	}
	log.Info(service + " stopped")
}

// LoadConfig loads C from the CEM_ environment variables and validates it,
// as Main does before starting a service.
func LoadConfig[C any, P Validated[C]]() (C, error) {
	var cfg C
	if err := envconfig.Process("cem", &cfg); err != nil {
		return cfg, err
	}
	return cfg, P(&cfg).Validate()
}
