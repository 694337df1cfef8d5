// Package dlq reads the dead-letter topic (cem.events.dlq: one
// events.Failure per record), filters its records by stage, reason and
// source, and replays them: collector-stage records through the collector's
// /v1/import with their source's write key (so they are validated and
// enriched again), processor-stage records back to the events topic keyed by
// their customer key. Progress is kept per partition in an offsets file, so
// an interrupted or repeated replay resumes after what it already replayed.
// It speaks plain Kafka (kafka-go), so it works against any broker,
// the dev broker included.
package dlq
