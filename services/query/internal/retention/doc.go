// Package retention computes cohort retention matrices: customers grouped by
// the period (UTC day, ISO week starting Monday, or month) of their first
// event or first order, and for each later period the share who did the
// returning event. Offset 0 is the cohort period itself.
package retention
