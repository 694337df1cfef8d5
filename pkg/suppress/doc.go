// Package suppress holds the ids whose data was erased on request (GDPR)
// and the handshake that makes an erasure final.
//
// The query service records erased ids in the ClickHouse table
// suppressed_ids (migration 0020) with a version. Every writer process
// (collector, processor with its scorer and alert publisher) keeps a List:
//
//   - Every write that could store or publish an id takes a Hold first,
//     checks the ids against the list held, writes, and releases the Hold.
//   - Run polls max(version) of suppressed_ids every interval (1 s by
//     default) and reloads the list when it changed. The new list is in
//     force for every Hold taken afterwards; once the last Hold taken under
//     the old list is released, the writer acknowledges the new version in
//     suppression_writers (migration 0041), together with a heartbeat.
//   - The erasure (services/query/internal/gdpr) inserts its ids, then waits
//     until every live writer (heartbeat within a TTL) acknowledged a
//     version at least its own, and only then deletes. Rows written before
//     the acknowledgement are deleted by the erasure; writes after it check
//     against a list that holds the ids. A writer that stops gracefully
//     says so, so that erasures do not wait for it.
//
// Junk and shared ids (pkg/junkid) are never matched: suppression is about
// a person, and "null" is not one.
//
// When ClickHouse is unreachable the last list stays in force (ingestion
// never depends on ClickHouse being up); such a writer stops heartbeating
// and erasures stop waiting for it after the TTL.
package suppress
