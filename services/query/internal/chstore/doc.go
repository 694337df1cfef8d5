// Package chstore is the query service's access to ClickHouse: a Store that
// runs read queries with a per-query time limit and records their duration
// per API endpoint, plus the SQL fragments every analysis shares (the
// deduplicated events of canonical customers).
//
// Every value that comes from a request is bound as a query argument ("?");
// identifiers that end up in SQL text are either constants of this service or
// checked against Ident.
package chstore
