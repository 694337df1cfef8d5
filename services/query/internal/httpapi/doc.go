// Package httpapi serves the query service's JSON API under /api/v1: route
// table, middleware (recovery, metrics, bearer-token auth, request timeout),
// parameter parsing into validated queries, and JSON errors of the form
// {"error":{"code":..,"message":..}}.
//
// Handlers never build SQL: they parse and validate parameters and call the
// analysis packages, which bind every value as a query argument.
package httpapi
