#!/usr/bin/env bash
# bench.sh [--quick]: one benchmark run of the whole pipeline on this machine
# (issue 9). Builds the services and loadgen into out/bench, starts its own
# dev brokers, services and baselines on private ports, with temporary
# ClickHouse databases (bench_<pid>_*) and directories, and removes them at
# the end. Prints a table, then one JSON line with every figure. Writes
# docs/benchmarks.svg (chart) and docs/benchmarks.json (figures) on a full
# run (or with BENCH_DOCS=1).
#
# Stages: 1 collector vs decode-only baseline; 2 processor vs direct-insert
# baseline on a preloaded topic; 3 end-to-end rate steps; 4 freshness at half
# the sustained rate; 5 queries through the query service on a generated
# dataset scored once by the processor's scorer (10M events, quick 1M);
# 6 memory (collector under overload, processor per 100k customers);
# stage 2 runs baseline and processor BENCH_PROC_RUNS times (default 5,
# quick 3, at most 9) and reports medians;
# 7 processor at scale: SCALE_KEYS distinct customer keys with 2 events each
# (full 1M, quick 100k; BENCH_SCALE_KEYS=5000000 is the 5M profile, with
# BENCH_SCALE_COMPRESSION=lz4, the collector's default, so that the
# in-memory dev broker holds its 10M events in a sixth of the memory: 500k
# events took 150 MB against 884 MB; default none, as stage 2's topic):
# events/s, peak RSS and RSS per 100k active keys,
# restart-to-first-flush with a replay of stored keys waiting, a kill -9 in
# the middle of that replay with the recovery time (kill to the next
# instance's first flush), and a check that session counts equal the
# distinct events afterwards; 8 the closed loop: detractor answers of new
# customers posted to the collector under background load
# (BENCH_ALERT_RATE events/s, default 1000), each timed from its 2xx to the
# signed webhook delivery of its alert to loadgen's receiver (a processor
# target). BENCH_STAGES=1,2,...,8 runs only those stages (default all).
#
# ClickHouse: the server named by CEM_CLICKHOUSE_ADDR, else a fresh server of
# the bench's own (scripts/clickhouse.sh, data in .data/bench-clickhouse,
# ports BENCH_CH_TCP_PORT 17900 and BENCH_CH_HTTP_PORT 17823), removed at the
# end. Its data goes on a journaled filesystem. On ext4 without a journal
# (this kind of VM's root filesystem), creating a file scans the inodes
# deleted in the last 5-10 minutes (ext4's recently_deleted, called only
# without a journal), and ClickHouse 18.16 creates and deletes about 100
# files per part of the events table: that scan took a quarter of the
# server's CPU (perf), and it grew with the churn of the stages before, so a
# later stage ran slower than the same stage run first (four consecutive 20 s
# freshness runs of one processor: p50 158, 377, 616, 735 ms; on a journal:
# 136-166 ms). Production filesystems have a journal (ext4's default, xfs);
# where the data directory's has none, the bench mounts a sparse ext4 image
# (BENCH_CH_IMAGE_GB, default 32) there with a loop device (root only;
# otherwise it warns and runs on the filesystem as it is). The report
# records which as clickhouse_fs.
set -euo pipefail
SCRIPT_NAME=bench
# shellcheck source=lib/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"
cd "$ROOT"

QUICK=0
[[ ${1:-} == --quick ]] && QUICK=1
if ((QUICK)); then
	D=${BENCH_DURATION:-4s} PROC_EVENTS=${BENCH_PROC_EVENTS:-200000} QUERY_EVENTS=${BENCH_QUERY_EVENTS:-1000000}
	STEP=${BENCH_STEP:-6s} FRACTIONS=${BENCH_FRACTIONS:-"0.4 0.7 1.0"} FRESH=${BENCH_FRESH:-6s} TIMELINES=60 REPEAT=3 MODE=quick PROC_RUNS=${BENCH_PROC_RUNS:-3}
	SCALE_KEYS=${BENCH_SCALE_KEYS:-100000}
else
	D=${BENCH_DURATION:-15s} PROC_EVENTS=${BENCH_PROC_EVENTS:-1000000} QUERY_EVENTS=${BENCH_QUERY_EVENTS:-10000000}
	STEP=${BENCH_STEP:-15s} FRACTIONS=${BENCH_FRACTIONS:-"0.3 0.4 0.5 0.6 0.7 0.8 0.9 1.05"} FRESH=${BENCH_FRESH:-30s} TIMELINES=300 REPEAT=7 MODE=full PROC_RUNS=${BENCH_PROC_RUNS:-5}
	SCALE_KEYS=${BENCH_SCALE_KEYS:-1000000}
fi
CONNS=${BENCH_CONNECTIONS:-32}
BROKER=127.0.0.1:${BENCH_BROKER_PORT:-17092}
COLL=127.0.0.1:${BENCH_COLLECTOR_PORT:-17080}
BASE=127.0.0.1:${BENCH_BASELINE_PORT:-17079}
ADMIN=127.0.0.1:${BENCH_ADMIN_PORT:-17082}
QRY=127.0.0.1:${BENCH_QUERY_PORT:-17090}
QTOKEN=bench-query-token-0001
CH=${CEM_CLICKHOUSE_ADDR:-}
CH_DATA=$ROOT/.data/bench-clickhouse CH_IMAGE=$ROOT/.data/bench-clickhouse.img CH_FS=
CH_TCP=${BENCH_CH_TCP_PORT:-17900} CH_HTTP=${BENCH_CH_HTTP_PORT:-17823}
KEYS="web:bench-web,app:bench-app,support:bench-support,survey:bench-survey,shop:bench-shop,crm:bench-crm"
DBP=bench_$$
BIN=$ROOT/out/bench
RUN=$(mktemp -d /tmp/cem-bench.XXXXXX)
PIDS=()

cleanup() {
	local i
	for ((i = ${#PIDS[@]} - 1; i >= 0; i--)); do stop_pid "${PIDS[i]}" "pid ${PIDS[i]}" 20 || true; done
	if [[ -n ${CEM_CLICKHOUSE_ADDR:-} ]]; then
		for db in base_{1..9} proc_{1..9} e2e query scale loop; do
			chq "DROP DATABASE IF EXISTS ${DBP}_$db" >/dev/null 2>&1 || true
		done
	else
		own_clickhouse stop >&2 || true
		remove_clickhouse_data
	fi
	[[ -n ${KEEP_RUN:-} ]] || rm -rf "$RUN"
}
trap cleanup EXIT

# remove_clickhouse_data unmounts the bench server's image, if mounted, and
# removes its data directory and image.
remove_clickhouse_data() {
	! mountpoint -q "$CH_DATA" || umount "$CH_DATA" || log "warning: could not unmount $CH_DATA"
	rm -rf "$CH_DATA" "$CH_IMAGE" || true
}
own_clickhouse() { CEM_CH_DATA_DIR=$CH_DATA CEM_CH_TCP_PORT=$CH_TCP CEM_CH_HTTP_PORT=$CH_HTTP ./scripts/clickhouse.sh "$@"; }

# journal_less DIR: DIR is on ext4 without a journal (no jbd2 for its device).
journal_less() {
	local src fstype
	read -r src fstype < <(findmnt -n -o SOURCE,FSTYPE -T "$1") || return 1
	[[ $fstype == ext4 ]] || return 1
	! compgen -G "/proc/fs/jbd2/$(basename "$(readlink -f "$src")")-*" >/dev/null
}

# start_clickhouse starts the bench's own server on a journaled filesystem
# (header) and sets CH and CH_FS.
start_clickhouse() {
	remove_clickhouse_data # an interrupted run's
	! mountpoint -q "$CH_DATA" || die "$CH_DATA is still mounted"
	mkdir -p "$CH_DATA"
	CH_FS=$(findmnt -n -o FSTYPE -T "$CH_DATA")
	if journal_less "$CH_DATA"; then
		if ((EUID == 0)) && command -v losetup >/dev/null && command -v mkfs.ext4 >/dev/null &&
			truncate -s "${BENCH_CH_IMAGE_GB:-32}G" "$CH_IMAGE" && mkfs.ext4 -q -F "$CH_IMAGE" &&
			mount -o loop "$CH_IMAGE" "$CH_DATA"; then
			CH_FS="ext4 (loop image; the data directory's ext4 has no journal)"
		else
			log "warning: $CH_DATA is on ext4 without a journal and no journaled image could be mounted (needs root and a loop device): ClickHouse's file creation slows as the run goes on"
			CH_FS="ext4 without journal"
		fi
	fi
	own_clickhouse start >&2
	CH=127.0.0.1:$CH_TCP
}

# start NAME CMD...: runs CMD in the background with its log in $RUN/NAME.log.
start() {
	local name=$1
	shift
	"$@" >"$RUN/$name.log" 2>&1 &
	PIDS+=($!)
	LAST_PID=$!
}
# stop_last N: stops the last N started processes.
stop_last() {
	local n=$1
	while ((n-- > 0)); do
		stop_pid "${PIDS[-1]}" "pid ${PIDS[-1]}" 20 || true
		unset 'PIDS[-1]'
	done
}
ready() { curl -sf "$1" >/dev/null; }
want() { [[ ${BENCH_STAGES:-all} == all || ,${BENCH_STAGES}, == *,$1,* ]]; }
now_ms() { date +%s%3N; }
caught_up() { curl -sf "http://$ADMIN/metrics" | awk '/^cem_processor_consumer_lag\{/ {s += $2; n++} END {exit !(n > 0 && s == 0)}'; }
lg() { "$BIN/loadgen" "$@"; }
# chq SQL: one statement on the bench's ClickHouse server.
chq() { clickhouse-client --host "${CH%:*}" --port "${CH#*:}" -q "$1"; }

broker() {
	start devbroker env CEM_DEVBROKER_ADDR=$BROKER CEM_DEVBROKER_DATA_DIR= CEM_DEVBROKER_PARTITIONS=6 CEM_LOG_LEVEL=warn "$BIN/devbroker"
	wait_until 30 "dev broker" bash -c "exec 3<>/dev/tcp/${BROKER%:*}/${BROKER#*:}"
}
collector() {
	# loadgen is one client address playing many clients: no per-address slots.
	start collector env CEM_MAX_CONCURRENT_PER_CLIENT=0 CEM_MAX_INFLIGHT_BYTES_PER_CLIENT=0 CEM_HTTP_ADDR=$COLL CEM_KAFKA_BROKERS=$BROKER CEM_WRITE_KEYS=$KEYS CEM_SERVER_SOURCES=support,survey,shop,crm CEM_LOG_LEVEL=warn "$BIN/collector"
	COLLECTOR_PID=$LAST_PID
	wait_until 60 collector ready "http://$COLL/readyz"
}
# The processor's Go runtime as deploy/k8s runs it (docs/operations.md,
# "Processor memory"): a memory limit instead of a GC target proportional to
# the live heap. Stage 2 sets nothing for either program: its ratio prices
# their work, not a runtime setting.
DEPLOYED_GC=(GOMEMLIMIT=2400MiB GOGC=off)
processor() { processor_ "$@"; }
processor_() { # processor DB [ENV=...]
	local db=$1
	shift
	start processor env CEM_KAFKA_BROKERS=$BROKER CEM_CLICKHOUSE_ADDR=$CH CEM_CLICKHOUSE_DATABASE=$db \
		CEM_PROCESSOR_ADMIN_ADDR=$ADMIN CEM_LOG_LEVEL=warn "$@" "$BIN/processor"
	PROCESSOR_PID=$LAST_PID
}

log "mode $MODE, run dir $RUN, databases ${DBP}_*"
if [[ -n $CH ]]; then
	CH_FS=remote
else
	start_clickhouse
fi
log "ClickHouse $CH on $CH_FS"
mkdir -p "$BIN"
for s in collector processor query devbroker loadgen; do
	(cd "services/$s" && go build -o "$BIN/$s" .) || die "build $s"
done

if want 1; then
	log "1/6 collector vs decode-only baseline ($D closed-loop with $CONNS connections, then $D open-loop at half)"
	start baseline "$BIN/loadgen" baseline-http -addr $BASE
	wait_until 20 baseline ready "http://$BASE/healthz"
	lg http -saturate -url "http://$BASE/v1/batch" -write-keys "$KEYS" -connections "$CONNS" -duration "$D" -run 1 >"$RUN/baseline_http.json"
	stop_last 1
	broker
	collector
	lg http -saturate -url "http://$COLL/v1/batch" -write-keys "$KEYS" -connections "$CONNS" -duration "$D" -run 2 >"$RUN/collector_http.json"

	log "6/6 (a) collector memory under overload: 512 connections for $D"
	lg http -url "http://$COLL/v1/batch" -write-keys "$KEYS" -connections 512 -duration "$D" -run 3 >"$RUN/overload_load.json"
	printf '{"load":%s,"rss":%s}\n' "$(cat "$RUN/overload_load.json")" "$(lg rss -pid "$COLLECTOR_PID")" >"$RUN/collector_overload.json"
	stop_last 2
fi

if want 2; then
	log "2/6 processor vs direct-insert baseline: $PROC_EVENTS events preloaded, $PROC_RUNS runs of each (ABBA order)"
	broker
	lg kafka -brokers $BROKER -events "$PROC_EVENTS" >"$RUN/preload.json"
	# The CPU seconds of each run and of the local ClickHouse server over it
	# (scripts/clickhouse.sh's pid file; none for a remote server).
	CHPID=$(cat "$CH_DATA/clickhouse-server.pid" 2>/dev/null || echo 0)
	# Each run drains the whole topic into its own database (the processor
	# as a new consumer group); the report takes the medians and the median
	# of the runs' ratios. The order alternates (baseline first, then
	# processor first, ...) so that a warming ClickHouse favours neither.
	drain() { lg baseline-drain -brokers $BROKER -events "$PROC_EVENTS" -clickhouse "$CH" -db "${DBP}_base_$1" -clickhouse-pid "$CHPID" >"$RUN/baseline_drain_$1.json"; }
	proc() {
		processor "${DBP}_proc_$1" CEM_PROCESSOR_GROUP="bench-processor-$1"
		lg watch -metrics "http://$ADMIN/metrics" -events "$PROC_EVENTS" -pid "$PROCESSOR_PID" -clickhouse-pid "$CHPID" >"$RUN/processor_$1.json"
		stop_last 1
	}
	for ((i = 1; i <= PROC_RUNS; i++)); do
		if ((i % 2)); then
			drain $i
			proc $i
		else
			proc $i
			drain $i
		fi
	done
	stop_last 1
	# The drained databases are not read again: dropped now, so that the
	# later stages' server does not keep merging them.
	for ((i = 1; i <= PROC_RUNS; i++)); do
		chq "DROP DATABASE IF EXISTS ${DBP}_base_$i" >/dev/null
		chq "DROP DATABASE IF EXISTS ${DBP}_proc_$i" >/dev/null
	done
fi

if want 3; then
	log "3/6 end-to-end steps (fractions $FRACTIONS of min(collector, processor)), $STEP each"
	broker
	processor "${DBP}_e2e" "${DEPLOYED_GC[@]}"
	wait_until 60 processor ready "http://$ADMIN/readyz"
	collector
	CEIL=$(lg report -dir "$RUN" | tail -1 | python3 -c 'import json,sys; f=json.load(sys.stdin); print(int(min(x for x in (f["collector_eps"], f["processor_eps"]) if x)))')
	RATES=$(for x in $FRACTIONS; do python3 -c "print(int($x*$CEIL))"; done | paste -sd, -)
	lg e2e -url "http://$COLL/v1/batch" -write-keys "$KEYS" -rates "$RATES" -duration "$STEP" -metrics "http://$ADMIN/metrics" -run 4 >"$RUN/e2e.json"

	E2E=$(python3 -c 'import json,sys; print(int(json.load(open(sys.argv[1]))["sustained_eps"]))' "$RUN/e2e.json")
	# The ramp ends past the sustainable rate on purpose; freshness is measured
	# under steady load, so the processor first works off that backlog.
	wait_until 300 "the processor to work off the ramp's backlog" caught_up || die "the processor did not catch up"
	((E2E > 0)) || E2E=$(python3 -c "print(int(0.2*$CEIL))")
	# Freshness is a latency under steady load, so the earlier stages' work
	# must be done first: ClickHouse's merges (waited for, up to
	# BENCH_MERGE_WAIT s, default 300; 0 measures at once; what was running
	# is logged) and the page cache's dirty data. With stage 2's databases
	# kept and no sync, three full runs gave freshness p99 1.4-1.9 s at
	# 14-15.5k events/s, with no merge running at the start
	# (docs/benchmarks.md).
	merges() { chq "SELECT count(), sum(rows_read), groupUniqArray(database) FROM system.merges FORMAT TSV"; }
	merged() { [[ $(merges) == 0* ]] || { sleep 1; false; }; }
	log "ClickHouse merges running (count, rows read, databases): $(merges | tr '\t' ' '); dirty page cache: $(awk '/^Dirty:/ {print $2, $3}' /proc/meminfo)"
	WAIT0=$SECONDS
	((${BENCH_MERGE_WAIT:-300} == 0)) || wait_until "${BENCH_MERGE_WAIT:-300}" "ClickHouse's merges of the ramp" merged || true
	# The page cache's dirty data (the earlier stages' parts) is written back
	# now, not by the kernel's flusher threads during the measurement.
	sync
	log "4/6 freshness at half the sustained rate ($((E2E / 2)) events/s) for $FRESH, after $((SECONDS - WAIT0)) s waiting for merges"
	lg freshness -url "http://$COLL/v1/batch" -write-keys "$KEYS" -rate $((E2E / 2)) -duration "$FRESH" -clickhouse "$CH" -db "${DBP}_e2e" -run 5 >"$RUN/freshness.json"
	stop_last 3
fi

if want 5; then
	log "5/6 queries on $QUERY_EVENTS events"
	lg clickhouse -clickhouse "$CH" -db "${DBP}_query" -events "$QUERY_EVENTS" >"$RUN/dataset.json"
	# The scorer of a processor scores the dataset once (segments read its
	# tables); the query service answers over HTTP, as CX users see it.
	broker
	processor "${DBP}_query" CEM_SCORES_INTERVAL=24h "${DEPLOYED_GC[@]}"
	scored() { curl -sf "http://$ADMIN/metrics" | grep -Eq '^cem_processor_scores_last_success_timestamp_seconds [1-9]'; }
	wait_until 1800 "the scorer's first run" scored || die "the scorer did not finish"
	start query env CEM_HTTP_ADDR=$QRY CEM_CLICKHOUSE_ADDR=$CH CEM_CLICKHOUSE_DATABASE="${DBP}_query" CEM_QUERY_TOKENS=$QTOKEN CEM_LOG_LEVEL=warn "$BIN/query"
	wait_until 60 "query service" ready "http://$QRY/readyz"
	lg queries -clickhouse "$CH" -db "${DBP}_query" -query-url "http://$QRY" -token $QTOKEN -timelines $TIMELINES -repeat $REPEAT >"$RUN/queries.json"
	stop_last 3
fi

if want 7; then
	SCALE_EVENTS=$((2 * SCALE_KEYS)) REPLAY=$((SCALE_KEYS / 5)) ZIP=(-compression "${BENCH_SCALE_COMPRESSION:-none}")
	# The configured memory bound, as a container limit: the processor runs
	# with GOMEMLIMIT at 80 % of it and GOGC=off (DEPLOYED_GC with this
	# bound; docs/operations.md), the rest is for
	# what the Go runtime does not count (the binary's pages) and the
	# collector's lag behind the soft limit. The session state itself is
	# bounded by CEM_PROCESSOR_STATE_MAX_BYTES, 512 MiB.
	MIB=${BENCH_SCALE_MEMORY_MIB:-2048}
	SCALE_GC=("GOMEMLIMIT=$((MIB * 4 / 5))MiB" GOGC=off)
	printf '{"limit_mb":%s}\n' "$(python3 -c "print($MIB * 1048576 / 1e6)")" >"$RUN/scale_limit.json"
	processor() { processor_ "$@" CEM_SCORES_ENABLED=false; } # the stream path only: no scorer run over the dataset
	log "7/7 processor at scale: $SCALE_KEYS customer keys x 2 events ($SCALE_EVENTS events)"
	broker
	lg kafka -brokers $BROKER -events "$SCALE_EVENTS" -per-customer 2 -seed 7 -id-prefix s7 "${ZIP[@]}" >"$RUN/scale_preload.json"
	processor "${DBP}_scale" "${SCALE_GC[@]}" CEM_PROCESSOR_PPROF=true
	(sleep 20 && curl -sf "http://$ADMIN/debug/pprof/profile?seconds=15" -o "$RUN/scale_cpu.pprof") &
	lg watch -metrics "http://$ADMIN/metrics" -events "$SCALE_EVENTS" -pid "$PROCESSOR_PID" -timeout 60m >"$RUN/scale_drain.json"
	curl -sf "http://$ADMIN/debug/pprof/heap" -o "$RUN/scale_heap.pprof" || true
	lg state -metrics "http://$ADMIN/metrics" -pid "$PROCESSOR_PID" >"$RUN/scale_state.json"
	stop_last 1
	# The first REPLAY events again (same ids: replays of stored keys) wait in
	# the topic; a fresh processor must restore those keys and recognise them.
	lg kafka -brokers $BROKER -events "$REPLAY" -per-customer 2 -seed 7 -id-prefix s7 "${ZIP[@]}" >"$RUN/scale_replay.json"
	T0=$(now_ms)
	processor "${DBP}_scale" "${SCALE_GC[@]}" CEM_LOG_LEVEL=debug # flush timings in processor.log
	lg firstflush -metrics "http://$ADMIN/metrics" -since "$T0" >"$RUN/scale_restart.json"
	kill -9 "$PROCESSOR_PID"
	T1=$(now_ms)
	wait "$PROCESSOR_PID" 2>/dev/null || true
	unset 'PIDS[-1]'
	processor "${DBP}_scale" "${SCALE_GC[@]}"
	# New keys after the kill, so that the next instance has work even when
	# the killed one had committed its whole flush.
	lg kafka -brokers $BROKER -events 1000 -per-customer 2 -seed 8 -id-prefix s7b "${ZIP[@]}" >"$RUN/scale_after_kill.json"
	lg firstflush -metrics "http://$ADMIN/metrics" -since "$T1" >"$RUN/scale_recovery.json"
	wait_until 600 "the processor to work off the replay" caught_up || die "the replay was not worked off"
	lg state -metrics "http://$ADMIN/metrics" -pid "$PROCESSOR_PID" >"$RUN/scale_replayed.json"
	stop_last 2
	printf '{"distinct_events":%s,"session_events":%s}\n' "$(chq "SELECT uniqExact(event_id) FROM ${DBP}_scale.events")" \
		"$(chq "SELECT sum(event_count) FROM ${DBP}_scale.sessions FINAL")" >"$RUN/scale_check.json"
fi

if want 8; then
	log "8 closed loop: detractor answers every 200ms for $FRESH under ${BENCH_ALERT_RATE:-1000} events/s, 2xx -> webhook delivery"
	HOOK=127.0.0.1:${BENCH_HOOK_PORT:-17095}
	broker
	processor "${DBP}_loop" CEM_SCORES_ENABLED=false "${DEPLOYED_GC[@]}" \
		CEM_WEBHOOK_TARGETS="[{\"name\":\"bench\",\"url\":\"http://$HOOK/hook\",\"secret\":\"bench-webhook-secret-0001\"}]"
	wait_until 120 processor ready "http://$ADMIN/readyz"
	collector
	lg alertloop -url "http://$COLL/v1/batch" -write-keys "$KEYS" -rate "${BENCH_ALERT_RATE:-1000}" -duration "$FRESH" \
		-listen "$HOOK" -secret bench-webhook-secret-0001 -run 8 >"$RUN/alertloop.json"
	stop_last 3
fi

SVG=() JSONOUT=()
if ((!QUICK)) || [[ -n ${BENCH_DOCS:-} ]]; then
	SVG=(-svg docs/benchmarks.svg) JSONOUT=(-json-out docs/benchmarks.json)
	mkdir -p docs
fi
lg report -dir "$RUN" -mode "$MODE" -clickhouse-fs "$CH_FS" "${SVG[@]}" "${JSONOUT[@]}"
