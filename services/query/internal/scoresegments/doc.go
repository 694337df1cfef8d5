// Package scoresegments serves the customer segments that the scorer's
// tables make possible (migrations 0010-0015: customer_scores, the
// customer_current view that evaluates time-dependent states at query time,
// customer_profiles): sleepers, high churn risk, contracts ending within N
// days, promoters, detractors, advocates, RFM segments, lifecycle states and
// customers with unresolved tickets. Each is a segments.Segment; membership
// conditions are constants of this package and parameters are bound.
//
// It also provides the profile Enricher that adds health, churn risk and
// their reasons to the customer 360 profile.
package scoresegments
