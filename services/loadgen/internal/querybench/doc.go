// Package querybench times the query service's queries (timeline, 4-step
// funnel, retention matrix, segment list) straight against ClickHouse.
//
// The SQL mirrors services/query/internal (journey.Resolver.Canonical, IDs
// and Timeline; funnel.Engine.perCustomer/Run; retention.Engine.Run;
// chstore.CustomerEvents for query-time identity resolution). The query
// service has no segment package yet: Segment is a sleeper list (customers
// silent for three times their own rhythm and at least 30 days) written
// here. Keep it in step when the query service changes.
package querybench
