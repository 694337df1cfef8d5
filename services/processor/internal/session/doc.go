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
// State is bounded and restorable. Per key the stage keeps the sessions that
// late events may still join, with the hashes of their event ids (so a replayed
// event is recognised and never counted twice). Keys are held in an LRU capped
// at MaxCustomers and evicted after IdleAfter without events. On a miss, the
// key's recent events are read back from the events table (FINAL) and its
// sessions rebuilt from them, so after a restart or a rebalance the stage
// continues exactly where the stored events leave off. Because the sessions
// are rebuilt from the events, not from the sessions table, a crash between
// the two table writes cannot inflate or lose counts.
package session
