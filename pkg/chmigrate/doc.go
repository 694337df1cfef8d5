// Package chmigrate applies the numbered ClickHouse migrations of
// schemas.ClickHouse (schemas/clickhouse/NNNN_name.sql) in order, each once,
// and records them in <db>.schema_migrations (version, name, checksum,
// applied_at). A second run changes nothing; an applied migration whose file
// changed since is an error (add a new migration instead).
//
// Migration files are Go text/template documents rendered with Options:
//
//	{{.DB}}         the database name, e.g. cem
//	{{.OnCluster}}  "ON CLUSTER '<cluster>'" in cluster mode, else empty
//	{{.Cluster}}    the cluster name, empty on a single node
//	{{engine "ReplacingMergeTree" "version"}}
//	                ReplacingMergeTree(version) on a single node;
//	                ReplicatedReplacingMergeTree('/clickhouse/tables/all/{database}/{table}', '{replica}', version)
//	                in cluster mode (one replica on every node), with
//	                {shard} instead of "all" for a sharded table
//	{{local "events"}}
//	                events_local when events is sharded, else events: the
//	                table an ALTER of a sharded table's columns or rows
//	                must also reach (ALTER the Distributed table too)
//
// Cluster mode (Options.Cluster) runs every statement ON CLUSTER. Sharded
// mode (Options.Sharded) additionally splits the tables of ShardingKeys over
// the shards: a statement that creates such a table creates
// <table>_local instead and is followed by CREATE TABLE <table> AS
// <table>_local ENGINE = Distributed(cluster, db, <table>_local, key), so
// the SQL of readers and writers does not change. Options.Local and
// Options.ShardedOf tell services (GDPR erasure) where rows live.
//
// A file may hold several statements: a statement ends at a line ending in
// ";" (a line that is only ";" works too); "--" comment lines never end one.
// Statements are split before they are rendered, so a template action must
// not span two statements; a statement that renders to nothing is skipped.
// Statements should be idempotent (IF NOT EXISTS): if a migration fails
// half-way, the next run starts it again from its first statement.
//
// A statement whose comment lines hold "-- rebuild <table>" (optionally
// "-- copy <column> = <expr>" and "-- catchup <expr in ms>") is the new
// CREATE TABLE of an existing table whose keys change: Apply runs it as a
// restartable copy-swap (rebuild.go; docs/operations.md "Schema upgrades").
//
// One starter migrates at a time: a starter with pending migrations claims
// a lease in <db>.schema_lock and the others wait until the versions they
// know are recorded (lock.go).
//
// The SQL must run on ClickHouse 18.16 (no JSON functions, Map, DateTime64,
// TTL, LowCardinality) and on current releases.
package chmigrate
