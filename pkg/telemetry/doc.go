// Package telemetry gives every cem service the same operational surface: a
// slog logger, a non-global Prometheus registry, the /metrics, /healthz and
// /readyz handlers, and an HTTP server that shuts down gracefully.
package telemetry
