// Package segments is the extension point for customer segment lists
// (sleepers, churn risk, contracts ending, promoters, RFM tiers...). A
// Segment lists its members page by page; the Registry holds the segments
// the service serves under /api/v1/segments/{name}. The scores work
// (services/processor/internal/scores and its tables) provides the
// implementations; the query service only serves them.
package segments
