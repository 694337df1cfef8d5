// Package pipeline processes one flush of Kafka messages: it decodes them
// (poison messages go to the DLQ with their reason), runs the events through
// the stages, writes every stage's rows to ClickHouse and publishes the DLQ
// records. Handle returns nil only when all of that succeeded, which is the
// caller's signal that the flush's offsets may be committed.
package pipeline
