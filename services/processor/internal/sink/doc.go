// Package sink writes the processor's rows into ClickHouse.
//
// A flush hands the Writer a list of Blocks, one per table, each holding its
// rows as columns. The Writer inserts them in order with the native protocol
// (one INSERT with an explicit column list per block) and retries a failed
// insert with exponential backoff until it succeeds or the context ends: while
// ClickHouse is down the caller blocks, nothing is committed, and Ready
// reports false. Blocks are immutable, so a retry rebuilds the batch from the
// same columns.
package sink
