package telemetry

import (
	"io"
	"log/slog"
	"strings"
)

// LogConfig configures the logger of a service.
type LogConfig struct {
	// Level is debug, info, warn or error. Default info.
	Level string `envconfig:"LOG_LEVEL" default:"info"`
	// Format is json or text. Default json.
	Format string `envconfig:"LOG_FORMAT" default:"json"`
}

// NewLogger returns a slog logger writing to w in the configured format, with
// a "service" attribute on every record.
func NewLogger(w io.Writer, cfg LogConfig, service string) *slog.Logger {
	var lvl slog.Level
	if err := lvl.UnmarshalText([]byte(cfg.Level)); err != nil {
		lvl = slog.LevelInfo
	}
	opts := &slog.HandlerOptions{Level: lvl}
	var h slog.Handler
	if strings.EqualFold(cfg.Format, "text") {
		h = slog.NewTextHandler(w, opts)
	} else {
		h = slog.NewJSONHandler(w, opts)
	}
	return slog.New(h).With("service", service)
}
