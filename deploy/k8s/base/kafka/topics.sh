#!/usr/bin/env bash
# topics.sh creates or updates the cem topics on a Kafka cluster. It runs in
# the apache/kafka image (docker-compose service kafka-init, Kubernetes Job
# cem-kafka-topics) or anywhere the Kafka CLI is on PATH or in /opt/kafka/bin.
#
#   CEM_KAFKA_BOOTSTRAP          bootstrap servers                       (default kafka:9092)
#   CEM_TOPIC / CEM_DLQ_TOPIC    topic names                             (default cem.events / cem.events.dlq)
#   CEM_ALERTS_TOPIC             closed-loop alerts of the scorer        (default cem.alerts; "" skips it)
#   CEM_TOPIC_PARTITIONS         partitions of cem.events                (default 12)
#   CEM_DLQ_PARTITIONS           partitions of cem.events.dlq            (default 3)
#   CEM_ALERTS_PARTITIONS        partitions of cem.alerts                (default 3)
#   CEM_TOPIC_REPLICATION        replication factor of both topics       (default 3)
#   CEM_TOPIC_MIN_ISR            min.insync.replicas of both topics      (default 2)
#   CEM_TOPIC_RETENTION_MS       retention.ms of cem.events              (default 604800000 = 7 days)
#   CEM_DLQ_RETENTION_MS         retention.ms of cem.events.dlq          (default 2592000000 = 30 days)
#   CEM_ALERTS_RETENTION_MS      retention.ms of cem.alerts              (default 2592000000 = 30 days)
#   CEM_TOPICS_WAIT_SECONDS      how long to wait for the cluster        (default 120)
#
# cem.alerts carries the processor scorer's closed-loop alerts (keyed by
# customer id) to downstream systems (CRM, ticketing).
#
# Idempotent: existing topics get their configs re-applied and their
# partition count raised when it is lower (never lowered; raising it moves
# customer keys to other partitions, see docs/operations.md). All topics are
# delete-retention (cleanup.policy=delete): cem keeps no state in Kafka, so no
# topic is compacted.
set -euo pipefail

BOOTSTRAP=${CEM_KAFKA_BOOTSTRAP:-kafka:9092}
TOPIC=${CEM_TOPIC:-cem.events}
DLQ_TOPIC=${CEM_DLQ_TOPIC:-cem.events.dlq}
ALERTS_TOPIC=${CEM_ALERTS_TOPIC-cem.alerts}
ALERTS_PARTITIONS=${CEM_ALERTS_PARTITIONS:-3}
ALERTS_RETENTION_MS=${CEM_ALERTS_RETENTION_MS:-2592000000}
PARTITIONS=${CEM_TOPIC_PARTITIONS:-12}
DLQ_PARTITIONS=${CEM_DLQ_PARTITIONS:-3}
RF=${CEM_TOPIC_REPLICATION:-3}
MIN_ISR=${CEM_TOPIC_MIN_ISR:-2}
RETENTION_MS=${CEM_TOPIC_RETENTION_MS:-604800000}
DLQ_RETENTION_MS=${CEM_DLQ_RETENTION_MS:-2592000000}
WAIT=${CEM_TOPICS_WAIT_SECONDS:-120}

log() { printf '%s [kafka-topics] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
die() { log "error: $*"; exit 1; }

bin() {
	if command -v "$1" >/dev/null; then echo "$1"; elif [[ -x /opt/kafka/bin/$1 ]]; then echo "/opt/kafka/bin/$1"; else die "$1 not found"; fi
}
TOPICS=$(bin kafka-topics.sh)
CONFIGS=$(bin kafka-configs.sh)

((MIN_ISR <= RF)) || die "min.insync.replicas ($MIN_ISR) > replication factor ($RF): producers with acks=all could never write"
((RF >= 3 && MIN_ISR >= 2)) || log "warning: replication factor $RF, min.insync.replicas $MIN_ISR: fine for a single-broker dev stack, not for production"

deadline=$((SECONDS + WAIT))
until "$TOPICS" --bootstrap-server "$BOOTSTRAP" --list >/dev/null 2>&1; do
	((SECONDS < deadline)) || die "Kafka at $BOOTSTRAP not reachable within ${WAIT}s"
	sleep 2
done

# ensure NAME PARTITIONS RETENTION_MS
ensure() {
	local name=$1 partitions=$2 retention=$3 current
	local configs="min.insync.replicas=$MIN_ISR,retention.ms=$retention,cleanup.policy=delete,compression.type=producer"
	"$TOPICS" --bootstrap-server "$BOOTSTRAP" --create --if-not-exists --topic "$name" \
		--partitions "$partitions" --replication-factor "$RF" \
		--config "min.insync.replicas=$MIN_ISR" --config "retention.ms=$retention" \
		--config cleanup.policy=delete --config compression.type=producer
	"$CONFIGS" --bootstrap-server "$BOOTSTRAP" --alter --entity-type topics --entity-name "$name" --add-config "$configs" >/dev/null
	current=$("$TOPICS" --bootstrap-server "$BOOTSTRAP" --describe --topic "$name" | sed -n 's/.*PartitionCount: *\([0-9]*\).*/\1/p' | head -1)
	if [[ -n $current ]] && ((current < partitions)); then
		log "$name: raising partitions $current -> $partitions"
		"$TOPICS" --bootstrap-server "$BOOTSTRAP" --alter --topic "$name" --partitions "$partitions"
	elif [[ -n $current ]] && ((current > partitions)); then
		log "warning: $name has $current partitions, more than the $partitions asked for (partitions are never removed)"
	fi
	log "$name: partitions>=$partitions rf=$RF min.insync.replicas=$MIN_ISR retention.ms=$retention"
}

ensure "$TOPIC" "$PARTITIONS" "$RETENTION_MS"
ensure "$DLQ_TOPIC" "$DLQ_PARTITIONS" "$DLQ_RETENTION_MS"
[[ -z $ALERTS_TOPIC ]] || ensure "$ALERTS_TOPIC" "$ALERTS_PARTITIONS" "$ALERTS_RETENTION_MS"
"$TOPICS" --bootstrap-server "$BOOTSTRAP" --describe --topic "$TOPIC"
