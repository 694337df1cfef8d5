#!/usr/bin/env bash
# run.sh: starts the whole cem pipeline on embedded defaults and keeps it in
# the foreground until Ctrl-C or SIGTERM, then stops everything it started.
#
#   local ClickHouse (scripts/clickhouse.sh, data in .data/clickhouse)
#   dev Kafka broker (services/devbroker, data in .data/kafka, fsync before every acknowledgement)
#   processor (admin :8082), collector (:8080), query service + UI (:8090)
#
# Data is kept across runs. Every CEM_ variable of the services can be set
# in the environment; these choose ports and paths:
#   CEM_RUN_DATA          state and logs            (default .data)
#   CEM_RUN_COLLECTOR_PORT, CEM_RUN_PROCESSOR_PORT, CEM_RUN_QUERY_PORT,
#   CEM_RUN_KAFKA_PORT    (defaults 8080, 8082, 8090, 9092)
#   CEM_CH_TCP_PORT, CEM_CH_HTTP_PORT  ClickHouse ports (defaults 9000, 8123)
#   CEM_RUN_CLICKHOUSE    local (default): one ClickHouse node;
#                         cluster: ZooKeeper and a 2-shard ClickHouse cluster
#                         (scripts/clickhouse-cluster.sh, data in <data>/chcluster)
#                         with the services in sharded mode
#   CEM_WRITE_KEYS        source:key,... (default dev keys, printed below)
#   CEM_SERVER_SOURCES    sources whose keys are secret (default callcenter,crm,survey;
#                         web and app are client sources: public keys)
#   CEM_QUERY_TOKENS      bearer tokens of the query API (default cem-dev-query-token)
#   CEM_WEBHOOK_TARGETS   outbound alert webhooks, a JSON array (default none; see README
#                         "Webhooks"); their customer links point at this run's UI
# With --detach it returns once everything is ready (stop with: kill $(cat <data>/run.pid)).
set -euo pipefail
SCRIPT_NAME=run
# shellcheck source=lib/common.sh
source "$(dirname "$0")/lib/common.sh"
cd "$ROOT"

DETACH=0
[[ ${1:-} == --detach ]] && DETACH=1

DATA=${CEM_RUN_DATA:-$ROOT/.data}
[[ $DATA = /* ]] || DATA=$ROOT/$DATA
COLLECTOR_PORT=${CEM_RUN_COLLECTOR_PORT:-8080}
PROCESSOR_PORT=${CEM_RUN_PROCESSOR_PORT:-8082}
QUERY_PORT=${CEM_RUN_QUERY_PORT:-8090}
KAFKA_PORT=${CEM_RUN_KAFKA_PORT:-9092}
CH_PORT=${CEM_CH_TCP_PORT:-9000}
CH_MODE=${CEM_RUN_CLICKHOUSE:-local}
[[ $CH_MODE == local || $CH_MODE == cluster ]] || die "CEM_RUN_CLICKHOUSE=$CH_MODE: want local or cluster"
export CEM_WRITE_KEYS=${CEM_WRITE_KEYS:-web:dev-web-key,app:dev-app-key,callcenter:dev-callcenter-key,crm:dev-crm-key,survey:dev-survey-key}
export CEM_SERVER_SOURCES=${CEM_SERVER_SOURCES-callcenter,crm,survey}
export CEM_QUERY_TOKENS=${CEM_QUERY_TOKENS:-cem-dev-query-token}
export CEM_KAFKA_BROKERS=127.0.0.1:$KAFKA_PORT
export CEM_CLICKHOUSE_ADDR=127.0.0.1:$CH_PORT
export CEM_CLICKHOUSE_DATABASE=${CEM_CLICKHOUSE_DATABASE:-cem}
export CEM_LOG_FORMAT=${CEM_LOG_FORMAT:-text}
export CEM_SUPPRESSION_ENABLED=${CEM_SUPPRESSION_ENABLED:-true}
BIN=$DATA/bin
LOGS=$DATA/logs
mkdir -p "$BIN" "$LOGS"

# Go modules and the toolchain are fetched by go itself; check go is there.
command -v go >/dev/null || die "go is not installed (Go 1.26 expected)"

PIDS=()
NAMES=()
CH_STARTED=0
# PIDFILE_OWNER is the pid this process wrote to <data>/run.pid; cleanup
# removes the file only then, so a run that fails (a port taken by the
# running stack) leaves that stack's run.pid alone.
PIDFILE_OWNER=
cleanup() {
	local code=$?
	trap - INT TERM EXIT
	log "stopping"
	for ((i = ${#PIDS[@]} - 1; i >= 0; i--)); do
		stop_pid "${PIDS[i]}" "${NAMES[i]}" 30
	done
	if ((CH_STARTED)) && [[ $CH_MODE == cluster ]]; then
		"$ROOT/scripts/clickhouse-cluster.sh" stop || true
	elif ((CH_STARTED)); then
		CEM_CH_DATA_DIR=${CEM_CH_DATA_DIR:-$DATA/clickhouse} "$ROOT/scripts/clickhouse.sh" stop || true
	fi
	if [[ -n $PIDFILE_OWNER && -f $DATA/run.pid && $(<"$DATA/run.pid") == "$PIDFILE_OWNER" ]]; then
		rm -f "$DATA/run.pid"
	fi
	log "stopped"
	exit "$code"
}
trap cleanup INT TERM EXIT

if pid_alive "$DATA/run.pid" run.sh; then
	die "a stack is already running from $DATA (pid $(<"$DATA/run.pid"); stop it with: kill \$(cat $DATA/run.pid))"
fi
port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
# Fail before building anything when a port is taken (another stack).
for port in "$KAFKA_PORT" "$PROCESSOR_PORT" "$QUERY_PORT" "$COLLECTOR_PORT"; do
	if port_open "$port"; then
		die "port $port is taken (another broker or run.sh?)"
	fi
done

# start NAME BINARY ENV=... : runs BINARY in the background with extra env.
start() {
	local name=$1 bin=$2
	shift 2
	env "$@" "$BIN/$bin" >>"$LOGS/$name.log" 2>&1 &
	PIDS+=($!)
	NAMES+=("$name")
	log "$name started (pid $!, log $LOGS/$name.log)"
}

# up PID URL: the process lives and URL answers 2xx; fails fast (exit 2
# stops wait_until's retries) when the process died.
up() { kill -0 "$1" 2>/dev/null || return 2; http_ok "$2" 2>/dev/null; }

ready() { # NAME URL: waits for the last started service.
	local pid=${PIDS[-1]}
	until up "$pid" "$2"; do
		kill -0 "$pid" 2>/dev/null || { tail -n 20 "$LOGS/$1.log" >&2; die "$1 exited during start-up"; }
		((SECONDS < READY_DEADLINE)) || { tail -n 20 "$LOGS/$1.log" >&2; die "$1 did not become ready"; }
		sleep 0.2
	done
	log "$1 ready"
}

log "building services into $BIN"
for svc in devbroker collector processor query; do
	(cd "services/$svc" && go build -trimpath -o "$BIN/$svc" .)
done

if [[ $CH_MODE == cluster ]]; then
	export CEM_CHC_DATA_DIR=${CEM_CHC_DATA_DIR:-$DATA/chcluster}
	"$ROOT/scripts/clickhouse-cluster.sh" status >/dev/null 2>&1 || CH_STARTED=1
	"$ROOT/scripts/clickhouse-cluster.sh" start
	CEM_CLICKHOUSE_ADDR=$("$ROOT/scripts/clickhouse-cluster.sh" addrs)
	export CEM_CLICKHOUSE_ADDR CEM_CLICKHOUSE_CLUSTER=${CEM_CHC_CLUSTER:-cem_cluster} CEM_CLICKHOUSE_SHARDED=true
	CH_INFO="$CEM_CLICKHOUSE_ADDR   (cluster $CEM_CLICKHOUSE_CLUSTER, sharded; database $CEM_CLICKHOUSE_DATABASE)"
else
	export CEM_CH_DATA_DIR=${CEM_CH_DATA_DIR:-$DATA/clickhouse}
	"$ROOT/scripts/clickhouse.sh" status >/dev/null 2>&1 || CH_STARTED=1
	"$ROOT/scripts/clickhouse.sh" start
	CH_INFO="127.0.0.1:$CH_PORT   (database $CEM_CLICKHOUSE_DATABASE; scripts/clickhouse.sh client)"
fi

if port_open "$KAFKA_PORT"; then
	die "port $KAFKA_PORT is taken (another broker or run.sh?)"
fi
start devbroker devbroker CEM_DEVBROKER_ADDR="127.0.0.1:$KAFKA_PORT" CEM_DEVBROKER_DATA_DIR="$DATA/kafka"
wait_until 60 "dev broker" port_open "$KAFKA_PORT" || die "dev broker did not start"
log "devbroker ready"

READY_DEADLINE=$((SECONDS + 180))
start processor processor CEM_PROCESSOR_ADMIN_ADDR="127.0.0.1:$PROCESSOR_PORT" \
	CEM_WEBHOOK_UI_URL="${CEM_WEBHOOK_UI_URL:-http://127.0.0.1:$QUERY_PORT}"
ready processor "http://127.0.0.1:$PROCESSOR_PORT/readyz"
start query query CEM_HTTP_ADDR="127.0.0.1:$QUERY_PORT"
ready query "http://127.0.0.1:$QUERY_PORT/readyz"
start collector collector CEM_HTTP_ADDR="127.0.0.1:$COLLECTOR_PORT"
ready collector "http://127.0.0.1:$COLLECTOR_PORT/readyz"

echo $$ >"$DATA/run.pid"
PIDFILE_OWNER=$$
first=${CEM_WRITE_KEYS%%,*}
cat <<INFO

cem is running
  collector   http://127.0.0.1:$COLLECTOR_PORT   (POST /v1/batch, /v1/track, ...; /metrics)
  query + UI  http://127.0.0.1:$QUERY_PORT   (API under /api/v1)
  processor   http://127.0.0.1:$PROCESSOR_PORT   (/metrics, /healthz, /readyz)
  kafka       127.0.0.1:$KAFKA_PORT   (dev broker; topics cem.events, cem.events.dlq, cem.alerts; fsync before every ack unless CEM_DEVBROKER_SYNC=false)
  clickhouse  $CH_INFO
  write keys  $CEM_WRITE_KEYS
  server sources (secret keys: alias onto existing users, /v1/import)  ${CEM_SERVER_SOURCES:-none}
  query token $CEM_QUERY_TOKENS
  logs        $LOGS

  try: curl -u ${first#*:}: -d '{"userId":"u1","event":"Signed Up"}' http://127.0.0.1:$COLLECTOR_PORT/v1/track
       curl -H 'Authorization: Bearer ${CEM_QUERY_TOKENS%%,*}' http://127.0.0.1:$QUERY_PORT/api/v1/customers/u1/timeline

INFO

if ((DETACH)); then
	trap - INT TERM EXIT
	# Hand the services to a watcher that stops them on SIGTERM; its pid is
	# written before this script returns, so callers can read it at once.
	(
		PIDFILE_OWNER=$BASHPID
		trap cleanup TERM INT
		while :; do sleep 1; done
	) </dev/null >/dev/null 2>&1 &
	echo $! >"$DATA/run.pid"
	disown
	exit 0
fi

log "press Ctrl-C to stop"
# Stop everything when any service dies.
wait -n "${PIDS[@]}" || true
log "a service exited; see $LOGS"
exit 1
