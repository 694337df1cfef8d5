// Package gdpr erases and exports all data of a customer.
//
// Erase suppresses every linked id first (suppressed_ids, consulted by the
// collector and processor so that later events from them are dropped), then
// deletes the rows of every MergeTree table of the database that holds one of
// the ids in an identity column (events, sessions, identities, customer_ids,
// identity_merges, and derived tables such as scores, whoever adds them),
// with ALTER TABLE ... DELETE and waits for the mutations to finish by
// polling system.mutations (18.16 has no mutations_sync). It returns a
// receipt with the ids, the tables and the rows deleted, and stores it in
// erasure_receipts.
//
// Export returns every row of those tables that holds one of the ids.
package gdpr
