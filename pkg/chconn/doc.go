// Package chconn opens ClickHouse connections over the native protocol
// (clickhouse-go/v2) with settings that work on ClickHouse 18.16 (the local
// Debian server) and on current releases. Services embed Config as a field
// tagged envconfig:"CLICKHOUSE" so that it reads CEM_CLICKHOUSE_*.
package chconn
