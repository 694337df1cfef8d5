// Package app wires the query service: configuration, the ClickHouse store,
// migrations, the analysis engines, the HTTP API with health and metrics,
// and graceful shutdown.
package app
