package chmigrate

import (
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/cemhq/cem/pkg/chconn"
)

// Options selects where and how migrations are applied.
type Options struct {
	// Database the migrations create and use. Default cem.
	Database string
	// Cluster is the ClickHouse cluster name (the server's remote_servers)
	// for ON CLUSTER DDL and Replicated* engines. Default empty: a single
	// node.
	Cluster string
	// Sharded splits the tables of ShardingKeys over the cluster's shards:
	// each becomes a Replicated <name>_local table per shard behind a
	// Distributed table under the original name, so readers and writers
	// keep using the original name. Every other table has one full replica
	// on every node. Needs Cluster.
	Sharded bool
}

// ShardingKeys are the tables that Sharded mode splits over the shards,
// with their sharding expression. Both shard by the customer key (the Kafka
// message key, anonymousId else userId), never by the canonical customer
// id: the key of an event never changes, so a replayed row reaches the
// shard that holds the first copy and ReplacingMergeTree collapses them,
// and a key's events and sessions live on the same shard.
var ShardingKeys = map[string]string{
	"events":   "cityHash64(customer_key)",
	"sessions": "cityHash64(customer_key)",
}

// LocalSuffix names the per-shard table of a sharded table.
const LocalSuffix = "_local"

// For returns the options of a service's ClickHouse configuration.
func For(c chconn.Config) Options {
	return Options{Database: c.Database, Cluster: c.Cluster, Sharded: c.Sharded}
}

func (o Options) withDefaults() Options {
	if o.Database == "" {
		o.Database = "cem"
	}
	return o
}

// Validate reports options that cannot work.
func (o Options) Validate() error {
	o = o.withDefaults()
	if !chconn.Ident(o.Database) {
		return fmt.Errorf("database %q is not a plain identifier", o.Database)
	}
	if o.Cluster != "" && !chconn.Ident(o.Cluster) {
		return fmt.Errorf("cluster %q is not a plain identifier", o.Cluster)
	}
	if o.Sharded && o.Cluster == "" {
		return fmt.Errorf("sharded mode needs a cluster name")
	}
	return nil
}

// OnCluster is "ON CLUSTER '<cluster>'" in cluster mode, else empty.
func (o Options) OnCluster() string {
	if o.Cluster == "" {
		return ""
	}
	return "ON CLUSTER '" + o.Cluster + "'"
}

// IsSharded reports whether table is split over the shards in these options.
func (o Options) IsSharded(table string) bool {
	_, ok := ShardingKeys[table]
	return ok && o.Sharded && o.Cluster != ""
}

// Local is the table that stores the rows of table on each node: the
// <table>_local table when table is sharded, else table itself. ALTER
// (mutations, columns) goes to the local table, with OnCluster when
// IsSharded.
func (o Options) Local(table string) string {
	if o.IsSharded(table) {
		return table + LocalSuffix
	}
	return table
}

// ShardedOf is the inverse of Local: the Distributed table whose rows the
// local table stores, if local is the local table of a sharded table.
func (o Options) ShardedOf(local string) (string, bool) {
	for _, t := range slices.Sorted(maps.Keys(ShardingKeys)) {
		if o.IsSharded(t) && local == t+LocalSuffix {
			return t, true
		}
	}
	return "", false
}

// engine renders a MergeTree-family engine of table: Name(args) on a single
// node, ReplicatedName('<zk path>', '{replica}', args) in cluster mode. The
// ZooKeeper path of a sharded table holds the {shard} macro (a replica set
// per shard); every other table shares one path over the whole cluster, so
// each node is a replica of it. {database} and {table} are server macros.
//
// zk, when set, replaces the {table} macro in the path: a table that a
// rebuild creates and then renames needs a path that does not follow its
// name (18.16 expands {table} again from the new name when it attaches the
// table at the next server start).
func (o Options) engine(table, zk, name string, args ...string) string {
	if o.Cluster == "" {
		return fmt.Sprintf("%s(%s)", name, strings.Join(args, ", "))
	}
	shard := "all"
	if o.IsSharded(table) {
		shard = "{shard}"
	}
	if zk == "" {
		zk = "{table}"
	}
	all := append([]string{"'/clickhouse/tables/" + shard + "/{database}/" + zk + "'", "'{replica}'"}, args...)
	return fmt.Sprintf("Replicated%s(%s)", name, strings.Join(all, ", "))
}

// distributed is the statement that creates the Distributed table of a
// sharded table in front of its local table.
func (o Options) distributed(table string) string {
	return fmt.Sprintf("CREATE TABLE IF NOT EXISTS %[1]s.%[2]s %[3]s AS %[1]s.%[4]s\nENGINE = Distributed('%[5]s', '%[1]s', '%[4]s', %[6]s)",
		o.Database, table, o.OnCluster(), o.Local(table), o.Cluster, ShardingKeys[table])
}
