// Package app wires the processor: configuration, ClickHouse connection and
// migrations, the stages (identity, session, timeline), the ClickHouse
// writer, the DLQ publisher, the consumer group and the admin server.
package app
