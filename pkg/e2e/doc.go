// Package e2e holds the tests that run cem's service binaries together: the
// testcontainers-go suite against real Kafka (apache/kafka, KRaft) and
// ClickHouse (clickhouse/clickhouse-server) containers, and
// TestIdentityHijackIntegration, which needs no Docker (the dev broker and
// the test ClickHouse, pkg/itest): the collector, processor and query
// binaries against the identity hijack (an alias with the public
// web key onto an existing user). It has no non-test code.
//
// TestMain starts one Kafka and one ClickHouse container for the package when
// a Docker daemon answers; otherwise every test skips with the reason (or
// fails, when CEM_TEST_DOCKER=1). The suite compiles in every test run.
//
// What it checks when Docker is there:
//   - TestPipelineIntegration: deploy/k8s/base/kafka/topics.sh creates the
//     topics in the Kafka container; the collector and processor binaries
//     (go build of ./services/collector and ./services/processor, run as
//     subprocesses configured by CEM_* variables, as in the images) ingest a
//     batch over HTTP; the test asserts through ClickHouse that every event is
//     stored once (also after the SDK retries the same batch), that an
//     anonymous event is on the identified customer's timeline, and that
//     both services exit 0 on SIGTERM.
//   - TestClusterSchemaIntegration: the migrations in cluster mode
//     (chmigrate.Options{Cluster}) on a ClickHouse configured as a
//     one-shard, one-replica cluster with embedded Keeper: ON CLUSTER DDL and
//     Replicated* engines on a current server, idempotent re-run, and
//     replay deduplication under FINAL. A second node (real replication and
//     sharding) is not started.
package e2e
