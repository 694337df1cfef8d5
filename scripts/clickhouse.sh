#!/usr/bin/env bash
# clickhouse.sh start|stop|status|client [args...]
#
# Runs a private ClickHouse server for development and tests, with all state
# under CEM_CH_DATA_DIR (default <repo>/.data/clickhouse), listening on
# 127.0.0.1 only. Installs Debian's clickhouse-server and clickhouse-client
# with apt-get when they are missing.
#
#   CEM_CH_DATA_DIR   data, logs, config and pid file   (default .data/clickhouse)
#   CEM_CH_TCP_PORT   native protocol port               (default 9000)
#   CEM_CH_HTTP_PORT  HTTP port                          (default 8123)
#   CEM_CH_START_TIMEOUT  seconds to wait for readiness  (default 90)
#   CEM_CH_INTERSERVER_PORT  replication (interserver HTTP) port; unset: none,
#                     as a single node needs none
#   CEM_CH_CONFIG_D   a file installed as config.d/cem.xml (cluster nodes:
#                     remote_servers, zookeeper, macros; see clickhouse-cluster.sh)
#
# start is idempotent (a running server is left alone, a stale pid file is
# replaced); stop waits until the server has exited.
set -euo pipefail
SCRIPT_NAME=clickhouse
# shellcheck source=lib/common.sh
source "$(dirname "$0")/lib/common.sh"

DATA_DIR=${CEM_CH_DATA_DIR:-$ROOT/.data/clickhouse}
[[ $DATA_DIR = /* ]] || DATA_DIR=$ROOT/$DATA_DIR
TCP_PORT=${CEM_CH_TCP_PORT:-9000}
INTERSERVER_PORT=${CEM_CH_INTERSERVER_PORT:-}
CONFIG_D=${CEM_CH_CONFIG_D:-}
HTTP_PORT=${CEM_CH_HTTP_PORT:-8123}
START_TIMEOUT=${CEM_CH_START_TIMEOUT:-90}
ETC=$DATA_DIR/etc
PIDFILE=$DATA_DIR/clickhouse-server.pid
CONFIG=$ETC/config.xml

install() {
	command -v clickhouse-server >/dev/null && command -v clickhouse-client >/dev/null && return
	log "installing clickhouse-server and clickhouse-client with apt-get"
	local sudo=()
	((EUID == 0)) || sudo=(sudo)
	"${sudo[@]}" apt-get update -qq
	DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y -qq clickhouse-server clickhouse-client >/dev/null
	# The package may start a system-wide server on the default ports; we run our own.
	"${sudo[@]}" service clickhouse-server stop >/dev/null 2>&1 || true
}

# write_config copies the packaged config.xml and users.xml and points every
# path into DATA_DIR, the ports to ours, listening on 127.0.0.1 only.
write_config() {
	local src=/etc/clickhouse-server
	[[ -r $src/config.xml && -r $src/users.xml ]] || die "$src/config.xml or users.xml missing; is clickhouse-server installed?"
	mkdir -p "$ETC" "$DATA_DIR"/{data,tmp,user_files,format_schemas,logs}
	cp "$src/users.xml" "$ETC/users.xml"
	local interserver=""
	[[ -z $INTERSERVER_PORT ]] ||
		interserver="<interserver_http_port>$INTERSERVER_PORT</interserver_http_port><interserver_http_host>127.0.0.1</interserver_http_host>"
	rm -rf "$ETC/config.d"
	if [[ -n $CONFIG_D ]]; then
		mkdir -p "$ETC/config.d"
		cp "$CONFIG_D" "$ETC/config.d/cem.xml"
	fi
	sed -E \
		-e "s#<log>[^<]*</log>#<log>$DATA_DIR/logs/clickhouse-server.log</log>#" \
		-e "s#<errorlog>[^<]*</errorlog>#<errorlog>$DATA_DIR/logs/clickhouse-server.err.log</errorlog>#" \
		-e "s#<size>1000M</size>#<size>100M</size>#" \
		-e "s#<count>10</count>#<count>3</count>#" \
		-e "s#<path>/var/lib/clickhouse/</path>#<path>$DATA_DIR/data/</path>#" \
		-e "s#<tmp_path>[^<]*</tmp_path>#<tmp_path>$DATA_DIR/tmp/</tmp_path>#" \
		-e "s#<user_files_path>[^<]*</user_files_path>#<user_files_path>$DATA_DIR/user_files/</user_files_path>#" \
		-e "s#<format_schema_path>[^<]*</format_schema_path>#<format_schema_path>$DATA_DIR/format_schemas/</format_schema_path>#" \
		-e "s#<http_port>[^<]*</http_port>#<http_port>$HTTP_PORT</http_port>#" \
		-e "s#<tcp_port>[^<]*</tcp_port>#<tcp_port>$TCP_PORT</tcp_port><listen_host>127.0.0.1</listen_host><timezone>UTC</timezone>#" \
		-e "s#<interserver_http_host>[^<]*</interserver_http_host>##" \
		-e "s#<interserver_http_port>[^<]*</interserver_http_port>#$interserver#" \
		-e "s#<uncompressed_cache_size>[^<]*</uncompressed_cache_size>#<uncompressed_cache_size>1073741824</uncompressed_cache_size>#" \
		-e "s#<mark_cache_size>[^<]*</mark_cache_size>#<mark_cache_size>536870912</mark_cache_size>#" \
		"$src/config.xml" >"$CONFIG.tmp"
	# Every absolute path left must be ours (certificates are unused: no TLS ports).
	if grep -v -e '^\s*<!--' -e 'certificateFile\|privateKeyFile\|dhParamsFile\|/etc/metrika.xml' "$CONFIG.tmp" |
		grep -E '<[a-z_]+>/(var|etc)/' >&2; then
		die "config still points outside $DATA_DIR (see above)"
	fi
	mv "$CONFIG.tmp" "$CONFIG"
}

client() { clickhouse-client --host 127.0.0.1 --port "$TCP_PORT" "$@"; }

ready() { client -q 'SELECT 1' >/dev/null 2>&1; }

running() { pid_alive "$PIDFILE" "$CONFIG"; }

start() {
	install
	if running; then
		wait_until "$START_TIMEOUT" "ClickHouse on 127.0.0.1:$TCP_PORT" ready
		log "already running (pid $(<"$PIDFILE"), tcp 127.0.0.1:$TCP_PORT, http 127.0.0.1:$HTTP_PORT)"
		return
	fi
	[[ ! -e $PIDFILE ]] || { log "removing stale pid file"; rm -f "$PIDFILE"; }
	if ready; then
		die "something else already answers on 127.0.0.1:$TCP_PORT; stop it or set CEM_CH_TCP_PORT"
	fi
	write_config
	log "starting clickhouse-server (data $DATA_DIR, tcp 127.0.0.1:$TCP_PORT, http 127.0.0.1:$HTTP_PORT)"
	# Own session so a Ctrl-C in the calling terminal does not reach it; the
	# caller stops it with "clickhouse.sh stop".
	(cd "$DATA_DIR" && exec setsid clickhouse-server --config-file="$CONFIG" >>"$DATA_DIR/logs/stdout.log" 2>&1 </dev/null) &
	echo $! >"$PIDFILE"
	local deadline=$((SECONDS + START_TIMEOUT))
	until ready; do
		if ! running; then
			tail -n 30 "$DATA_DIR/logs/clickhouse-server.err.log" "$DATA_DIR/logs/stdout.log" >&2 2>/dev/null || true
			rm -f "$PIDFILE"
			die "clickhouse-server exited during start-up (logs above, in $DATA_DIR/logs)"
		fi
		((SECONDS < deadline)) || { stop; die "clickhouse-server not ready after ${START_TIMEOUT}s"; }
		sleep 0.3
	done
	log "ready: clickhouse-client --port $TCP_PORT (pid $(<"$PIDFILE"))"
}

stop() {
	if ! running; then
		rm -f "$PIDFILE"
		log "not running"
		return
	fi
	local pid
	pid=$(<"$PIDFILE")
	log "stopping clickhouse-server (pid $pid)"
	stop_pid "$pid" clickhouse-server 60
	rm -f "$PIDFILE"
	log "stopped"
}

status() {
	if running && ready; then
		echo "running: pid $(<"$PIDFILE"), tcp 127.0.0.1:$TCP_PORT, http 127.0.0.1:$HTTP_PORT, data $DATA_DIR"
	elif running; then
		echo "starting or unresponsive: pid $(<"$PIDFILE")"
		return 1
	else
		echo "stopped"
		return 3
	fi
}

case ${1:-} in
start) start ;;
stop) stop ;;
status) status ;;
client) shift; client "$@" ;;
*) echo "usage: $0 start|stop|status|client [args]" >&2; exit 2 ;;
esac
