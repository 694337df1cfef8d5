package chmigrate

import (
	"fmt"
	"strings"
)

// Options selects where and how migrations are applied.
type Options struct {
	// Database the migrations create and use. Default cem.
	Database string
	// Cluster is the ClickHouse cluster name for ON CLUSTER DDL and
	// Replicated* engines. Default empty: a single node.
	Cluster string
}

func (o Options) withDefaults() Options {
	if o.Database == "" {
		o.Database = "cem"
	}
	return o
}

func (o Options) onCluster() string {
	if o.Cluster == "" {
		return ""
	}
	return "ON CLUSTER '" + o.Cluster + "'"
}

// engine renders a MergeTree-family engine: Name(args) on a single node,
// ReplicatedName('<zk path>', '{replica}', args) in cluster mode. The zk
// path uses the server macros {shard}, {database} and {table}.
func (o Options) engine(name string, args ...string) string {
	if o.Cluster == "" {
		return fmt.Sprintf("%s(%s)", name, strings.Join(args, ", "))
	}
	all := append([]string{"'/clickhouse/tables/{shard}/{database}/{table}'", "'{replica}'"}, args...)
	return fmt.Sprintf("Replicated%s(%s)", name, strings.Join(all, ", "))
}
