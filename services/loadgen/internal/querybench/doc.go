// Package querybench times the query service's answers over HTTP (timeline,
// 4-step funnel, retention matrix, segment list) on a generated dataset:
// the latency a CX user sees, with the service's own SQL, identity
// resolution and JSON encoding. ClickHouse is read only to sample ids.
package querybench
