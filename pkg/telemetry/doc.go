// Package telemetry gives every cem service the same operational surface: a
// slog logger, a non-global Prometheus registry, the /metrics, /healthz and
// /readyz handlers, and an HTTP server that shuts down gracefully and bounds
// what a slow client costs it (HTTPConfig: header, body and idle timeouts,
// a minimum body rate, unread bodies not drained).
package telemetry
