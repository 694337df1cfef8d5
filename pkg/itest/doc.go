// Package itest provides helpers for integration tests in every module:
// a fresh ClickHouse database per test, an in-process dev Kafka broker per
// test, and a polling helper.
//
// ClickHouse comes from CEM_TEST_CLICKHOUSE_ADDR (scripts/test.sh starts a
// private server and sets it). When it is unset, tests that need it are
// skipped with a message, unless CEM_TEST_INTEGRATION=1, where a missing
// dependency fails the test instead.
package itest
