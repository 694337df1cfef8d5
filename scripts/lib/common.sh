# Shared shell helpers for scripts/*.sh. Source it; it sets ROOT to the repo root.
# shellcheck shell=bash

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"

# log prints a timestamped message on stderr.
log() { printf '%s [%s] %s\n' "$(date +%H:%M:%S)" "${SCRIPT_NAME:-cem}" "$*" >&2; }

# die prints a message and exits 1.
die() { log "error: $*"; exit 1; }

# pid_alive PIDFILE [PATTERN]: true when PIDFILE names a running process
# whose command line contains PATTERN (guards against reused pids).
pid_alive() {
	local pidfile=$1 pattern=${2:-} pid
	[[ -s $pidfile ]] || return 1
	pid=$(<"$pidfile")
	[[ $pid =~ ^[0-9]+$ ]] || return 1
	kill -0 "$pid" 2>/dev/null || return 1
	[[ -z $pattern ]] || tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -qF -- "$pattern"
}

# wait_until SECONDS DESCRIPTION CMD...: runs CMD every 0.2 s until it
# succeeds; fails after SECONDS.
wait_until() {
	local timeout=$1 what=$2 deadline
	shift 2
	deadline=$((SECONDS + timeout))
	until "$@" >/dev/null 2>&1; do
		((SECONDS < deadline)) || { log "timed out after ${timeout}s waiting for $what"; return 1; }
		sleep 0.2
	done
}

# stop_pid PID NAME [TIMEOUT]: SIGTERM, wait up to TIMEOUT s (default 30), then SIGKILL.
stop_pid() {
	local pid=$1 name=$2 timeout=${3:-30} deadline
	kill -0 "$pid" 2>/dev/null || return 0
	kill -TERM "$pid" 2>/dev/null || true
	deadline=$((SECONDS + timeout))
	while kill -0 "$pid" 2>/dev/null; do
		if ((SECONDS >= deadline)); then
			log "$name (pid $pid) did not stop within ${timeout}s; killing"
			kill -KILL "$pid" 2>/dev/null || true
			break
		fi
		sleep 0.2
	done
	wait "$pid" 2>/dev/null || true
}

# http_ok URL: true when URL answers 2xx.
http_ok() { curl -fsS -o /dev/null --max-time 2 "$1"; }
