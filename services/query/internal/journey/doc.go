// Package journey answers questions about one customer: which canonical
// customer an id (or an email or name trait) belongs to, the ids linked to
// them, their 360 profile, and their timeline across every linked id in
// event-time order, grouped by session and paged with an opaque cursor.
//
// Stitching happens at query time: the customer's ids come from
// customer_ids (kept by the processor's identity stage) and the events of
// every one of them, including anonymous ones from before the login, make up
// the timeline.
package journey
