// Package schemas embeds the JSON Schemas of events (events/*.json) and the
// ClickHouse migrations (clickhouse/*.sql) so that every service reads the
// same files that live in the repository.
package schemas

import "embed"

// Events holds the JSON Schemas of the event envelope and of every reserved
// event, under events/.
//
//go:embed events/*.json
var Events embed.FS

// ClickHouse holds the numbered ClickHouse migrations, under clickhouse/.
//
//go:embed clickhouse/*.sql
var ClickHouse embed.FS
