// Package chwrite writes generated events straight into the events table
// (the processor's column layout, schemas/clickhouse/0001) and the identity
// tables, with columnar batch inserts and explicit column lists: the
// dataset of query benchmarks and the row path of the processor's baseline.
package chwrite
