// Package funnel computes conversion funnels: ordered steps (a step name
// plus optional property filters) that a customer completes within a
// conversion window, counted per canonical customer so that anonymous
// pre-login events count towards a funnel that ends after login.
//
// Levels come from ClickHouse windowFunnel(window) (non-strict: other events
// may occur between the steps; the window runs from the first step). Strict
// order requires the steps to be consecutive events of the customer (no
// other event in between), the last within the window of the first;
// it is evaluated over the time-ordered event array (18.16 has no
// windowFunnel strict modes).
//
// The median time between step k and k+1 is taken over customers who reached
// step k+1, on the greedy chain that starts at their first step-1 event: the
// first step-2 event after it, the first step-3 event after that, and so on.
package funnel
