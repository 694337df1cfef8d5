// Package chcompat holds cem's SQL to current ClickHouse: it replays every
// statement that the integration tests sent to ClickHouse 18.16 (recorded by
// pkg/chconn under CEM_TEST_SQL_RECORD) on ClickHouse 26, embedded as a
// library (chDB, libchdb.so from npm, driven by github.com/chdb-io/chdb-go),
// over the same table contents, and compares the answers; it also applies
// every migration on 26 and parses the cluster layouts there.
//
// The tests that need the library carry the build tag chdb (chdb-go loads
// the library when the test binary starts, so a binary without it could not
// even skip); scripts/test.sh runs them in its own stage:
//
//	CGO_ENABLED=0 CHDB_LIB_PATH=$(scripts/chdb.sh fetch) \
//	  CEM_TEST_SQL_RECORD=<dir of the recorded go test stage> go test -tags chdb ./tests/chcompat/
//
// What is compared, and every normalisation, is in docs/operations.md
// ("ClickHouse versions").
package chcompat
