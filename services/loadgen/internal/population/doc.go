// Package population generates a deterministic, realistic population of
// customers and their cross-channel journeys as Segment-style events:
// anonymous web sessions with real user agents and page contexts, login
// (identify), app screens, purchases, service tickets by phone, e-mail and
// letter, NPS/CSAT/CES surveys, contracts with end dates, loyalty, referrals,
// churners and sleepers.
//
// The same Config (seed included) always yields the same customers and the
// same events: customer i is generated from its own random stream, so any
// range of customers can be generated independently and in parallel.
package population
