// Package session cuts each customer key's events into sessions and keeps
// the sessions table up to date.
//
// A session is a run of one customer key's events (a device for SDK traffic,
// the userId for server-side sources) with no gap longer than Gap, no longer
// than MaxLength overall, and one campaign: an event carrying a campaign
// (context.campaign.name) different from the session's starts a new session.
//
// Out-of-order events: the watermark of a key is the largest event time seen
// for it. An event no more than Lateness behind the watermark is placed in
// the session it belongs to in event time (the one containing it, else the
// nearest within Gap), possibly extending that session backwards or forwards
// and changing its entry or exit touchpoint. A late event never merges two
// existing sessions: when it would bridge two, it joins the nearer one. An
// event more than Lateness behind the watermark starts a session of its own.
//
// Session ids are deterministic: a hash of the customer key and the id of the
// event that opened the session, so a replay from the same state yields the
// same ids. Sessions are upserts (ReplacingMergeTree by version): every flush
// writes the latest state of each session it touched; read them with FINAL.
//
// State is small, bounded and restorable. Per key the stage keeps only the
// aggregates of the sessions that late events may still join (start, end,
// count, entry and exit touchpoints, channel, campaign, converted, customer
// id; labels interned, strings cloned so no Kafka record stays pinned) and
// the hashes of the key's 4 newest event ids: a few hundred bytes per key
// (Customer.Size; docs/benchmarks.md has the measured figure). Keys are held
// in an LRU capped at MaxCustomers and MaxBytes and evicted after IdleAfter
// without events.
//
// On a miss (a key not held, or an event older than what memory is complete
// for) the key's sessions are rebuilt from the events table in bulk, for all
// the keys of a flush at once, read through pkg/eventsql (one row per event
// id): one aggregate row per session, every event id counted once however
// many copies are stored and however long the session,
// so a restart costs time proportional to the keys that become active, not
// to their history. A key never stored needs no read at all: the directory
// (directory.go), a Bloom filter of the keys events holds, built by one
// background scan after each Reset and kept up to date with every key the
// stage loads, tells such a key, which is then rebuilt empty.
//
// Replays and re-sent events are recognised against the stored events
// instead of per-session event-id sets: the event ids of a flush that may be
// copies (every event of a key just restored with stored sessions, an event
// not newer than its key's watermark, or one of the key's 4 newest ids) are
// looked up in one query; a stored one keeps its stored session id and is
// not counted again, and so is a second copy within one flush. Because the
// sessions are rebuilt from the events, not from the sessions table, a crash
// between the two table writes cannot inflate or lose counts; and because a
// replayed event's session is written again, the sessions rows of a flush
// whose events rows were written before the crash are written after it.
//
// One case is not recognised: a copy of a key's newest event that arrives
// with a later skew-corrected time, after the key was restored from storage
// in an earlier flush (the 4 newest ids are remembered only for events this
// instance processed). Its session then counts it twice; the events table
// still holds it once.
package session
