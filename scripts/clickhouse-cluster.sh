#!/usr/bin/env bash
# clickhouse-cluster.sh start|stop|status|addrs
#
# Runs a private ClickHouse cluster on this machine for cluster-mode tests
# and trials: one ZooKeeper (Debian's package, installed with apt-get when
# missing) and SHARDS x REPLICAS clickhouse-server processes started through
# clickhouse.sh, all on 127.0.0.1, all state under CEM_CHC_DATA_DIR. Every
# node has the cluster in remote_servers (internal_replication on), the
# ZooKeeper, and the macros {shard} (01, 02, ...) and {replica} (node1, ...,
# unique over the cluster), which is what cem's cluster mode expects of a
# production cluster (docs/operations.md).
#
#   CEM_CHC_DATA_DIR   state of ZooKeeper and the nodes  (default .data/chcluster)
#   CEM_CHC_CLUSTER    cluster name                      (default cem_cluster)
#   CEM_CHC_SHARDS     shards                            (default 2)
#   CEM_CHC_REPLICAS   replicas per shard                (default 1)
#   CEM_CHC_BASE_PORT  node n listens on native BASE+n, HTTP BASE+100+n,
#                      interserver BASE+200+n; ZooKeeper on BASE+81
#                                                        (default 19100)
#
# addrs prints the nodes' native addresses as a comma list, shard by shard.
set -euo pipefail
SCRIPT_NAME=clickhouse-cluster
# shellcheck source=lib/common.sh
source "$(dirname "$0")/lib/common.sh"

DATA_DIR=${CEM_CHC_DATA_DIR:-$ROOT/.data/chcluster}
[[ $DATA_DIR = /* ]] || DATA_DIR=$ROOT/$DATA_DIR
CLUSTER=${CEM_CHC_CLUSTER:-cem_cluster}
SHARDS=${CEM_CHC_SHARDS:-2}
REPLICAS=${CEM_CHC_REPLICAS:-1}
BASE=${CEM_CHC_BASE_PORT:-19100}
ZK_PORT=$((BASE + 81))
ZK_DIR=$DATA_DIR/zookeeper
ZK_PID=$ZK_DIR/zookeeper.pid
ZK_JAR=/usr/share/java/zookeeper.jar
NODES=$((SHARDS * REPLICAS))

[[ $CLUSTER =~ ^[A-Za-z_][A-Za-z0-9_]*$ ]] || die "CEM_CHC_CLUSTER=$CLUSTER is not a plain identifier"
((SHARDS >= 1 && REPLICAS >= 1 && NODES <= 9)) || die "need 1-9 nodes (shards x replicas), got $SHARDS x $REPLICAS"

install_zookeeper() {
	[[ -r $ZK_JAR ]] && command -v java >/dev/null && return
	log "installing zookeeper with apt-get"
	local sudo=()
	((EUID == 0)) || sudo=(sudo)
	"${sudo[@]}" apt-get update -qq
	DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y -qq zookeeper >/dev/null
	# The package may start a system-wide server on 2181; we run our own.
	"${sudo[@]}" service zookeeper stop >/dev/null 2>&1 || true
}

# zk_ok: ZooKeeper serves requests ("ruok" answers imok before it does).
zk_ok() { echo srvr | timeout 2 bash -c "exec 3<>/dev/tcp/127.0.0.1/$ZK_PORT; cat >&3; cat <&3" 2>/dev/null | grep -q '^Mode: '; }

# node_zk_ok N: node N has a ZooKeeper session.
node_zk_ok() { clickhouse-client --port $((BASE + $1)) -q "SELECT count() FROM system.zookeeper WHERE path = '/'" >/dev/null 2>&1; }

start_zookeeper() {
	install_zookeeper
	if pid_alive "$ZK_PID" QuorumPeerMain; then
		wait_until 30 "ZooKeeper on 127.0.0.1:$ZK_PORT" zk_ok || die "ZooKeeper (pid $(<"$ZK_PID")) does not answer"
		return
	fi
	zk_ok && die "something else answers on 127.0.0.1:$ZK_PORT; stop it or set CEM_CHC_BASE_PORT"
	mkdir -p "$ZK_DIR/data"
	cat >"$ZK_DIR/zoo.cfg" <<EOF
tickTime=2000
dataDir=$ZK_DIR/data
clientPort=$ZK_PORT
clientPortAddress=127.0.0.1
maxClientCnxns=0
admin.enableServer=false
4lw.commands.whitelist=ruok,srvr
EOF
	log "starting ZooKeeper (127.0.0.1:$ZK_PORT, data $ZK_DIR)"
	(cd "$ZK_DIR" && exec setsid java -Xmx256m -cp "$ZK_JAR" org.apache.zookeeper.server.quorum.QuorumPeerMain "$ZK_DIR/zoo.cfg" \
		>>"$ZK_DIR/zookeeper.log" 2>&1 </dev/null) &
	echo $! >"$ZK_PID"
	wait_until 60 "ZooKeeper on 127.0.0.1:$ZK_PORT" zk_ok || { tail -n 20 "$ZK_DIR/zookeeper.log" >&2; die "ZooKeeper did not start"; }
}

# node_env N: the clickhouse.sh environment of node N (1-based).
node_env() {
	local n=$1
	echo "CEM_CH_DATA_DIR=$DATA_DIR/node$n CEM_CH_TCP_PORT=$((BASE + n)) CEM_CH_HTTP_PORT=$((BASE + 100 + n))" \
		"CEM_CH_INTERSERVER_PORT=$((BASE + 200 + n)) CEM_CH_CONFIG_D=$DATA_DIR/node$n.xml"
}

# node_config N: config.d of node N; node n is replica ((n-1)%R)+1 of shard ((n-1)/R)+1.
node_config() {
	local n=$1 s r shard
	{
		echo "<yandex>"
		echo "  <remote_servers><$CLUSTER>"
		for ((s = 0; s < SHARDS; s++)); do
			echo "    <shard><internal_replication>true</internal_replication>"
			for ((r = 1; r <= REPLICAS; r++)); do
				echo "      <replica><host>127.0.0.1</host><port>$((BASE + s * REPLICAS + r))</port></replica>"
			done
			echo "    </shard>"
		done
		echo "  </$CLUSTER></remote_servers>"
		echo "  <zookeeper replace=\"replace\"><node><host>127.0.0.1</host><port>$ZK_PORT</port></node></zookeeper>"
		printf -v shard '%02d' $(((n - 1) / REPLICAS + 1))
		echo "  <macros replace=\"replace\"><shard>$shard</shard><replica>node$n</replica><cluster>$CLUSTER</cluster></macros>"
		echo "</yandex>"
	} >"$DATA_DIR/node$n.xml"
}

addrs() {
	local n out=()
	for ((n = 1; n <= NODES; n++)); do out+=("127.0.0.1:$((BASE + n))"); done
	local IFS=,
	echo "${out[*]}"
}

start() {
	mkdir -p "$DATA_DIR"
	start_zookeeper
	local n
	for ((n = 1; n <= NODES; n++)); do
		node_config "$n"
		# shellcheck disable=SC2046
		env $(node_env "$n") "$ROOT/scripts/clickhouse.sh" start
	done
	for ((n = 1; n <= NODES; n++)); do
		wait_until 60 "node$n's ZooKeeper session" node_zk_ok "$n" || die "node$n cannot reach ZooKeeper (logs in $DATA_DIR/node$n/logs)"
	done
	log "cluster $CLUSTER ready: $SHARDS shard(s) x $REPLICAS replica(s) at $(addrs)"
}

stop() {
	local n
	for ((n = NODES; n >= 1; n--)); do
		# shellcheck disable=SC2046
		env $(node_env "$n") "$ROOT/scripts/clickhouse.sh" stop
	done
	if pid_alive "$ZK_PID" QuorumPeerMain; then
		log "stopping ZooKeeper (pid $(<"$ZK_PID"))"
		stop_pid "$(<"$ZK_PID")" zookeeper 30
	fi
	rm -f "$ZK_PID"
}

status() {
	local n rc=0
	if pid_alive "$ZK_PID" QuorumPeerMain && zk_ok; then echo "zookeeper: running, 127.0.0.1:$ZK_PORT"; else echo "zookeeper: stopped"; rc=3; fi
	for ((n = 1; n <= NODES; n++)); do
		# shellcheck disable=SC2046
		printf 'node%d: ' "$n"
		env $(node_env "$n") "$ROOT/scripts/clickhouse.sh" status || rc=3
	done
	return $rc
}

case ${1:-} in
start) start ;;
stop) stop ;;
status) status ;;
addrs) addrs ;;
*) echo "usage: $0 start|stop|status|addrs" >&2; exit 2 ;;
esac
