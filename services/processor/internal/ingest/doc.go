// Package ingest consumes cem.events as a member of a Kafka consumer group
// and hands the messages to a Handler in flushes, committing offsets only
// after the Handler accepted a flush (at-least-once).
//
// It drives kafka-go's ConsumerGroup directly (Next + Generation.Start)
// instead of a group Reader so that a rebalance is visible: when a
// generation ends (rebalance, or shutdown), the pending flush is written and
// committed while this member still owns its partitions, then the Handler's
// state is reset, because partitions, and with them customers, may move to
// another member. A flush that cannot be written in time is dropped without
// a commit and is replayed by the next owner.
//
// A flush happens when FlushRows messages are pending or the oldest pending
// one is FlushInterval old. While the Handler blocks (ClickHouse down) the
// loop blocks too: partition readers stop after a bounded prefetch and
// nothing is committed.
package ingest
