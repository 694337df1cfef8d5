// Package itest provides helpers for integration tests in every module:
// a fresh ClickHouse database per test, an in-process dev Kafka broker per
// test, and a polling helper; and for the hostile-client tests (hostile.go)
// bounded loopback attacks (held and trickled request bodies from attacker
// addresses 127.0.0.2 and up), the outcomes of legitimate requests meanwhile
// and a process's resident memory.
//
// ClickHouse comes from CEM_TEST_CLICKHOUSE_ADDR (scripts/test.sh starts a
// private server and sets it). When it is unset, tests that need it are
// skipped with a message, unless CEM_TEST_INTEGRATION=1, where a missing
// dependency fails the test instead.
package itest
