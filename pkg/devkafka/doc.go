// Package devkafka runs an embedded, single-node Kafka-protocol broker
// (franz-go's kfake) for local development (services/devbroker, run.sh) and
// for integration tests (pkg/itest). It is not a production broker.
//
// With Config.DataDir set, topics, records and committed consumer-group
// offsets are persisted and survive a restart on the same directory.
package devkafka
