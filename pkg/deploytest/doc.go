// Package deploytest holds the tests of the deployment artefacts under
// deploy/ (Dockerfiles, docker-compose.yml, Kubernetes manifests, Prometheus
// rules and configuration, Grafana provisioning and dashboards) and of
// scripts/promcheck.sh. It has no non-test code.
//
// What runs where:
//   - always: parsing and structural checks (probes, limits, labels,
//     non-root, image names, metric names in rules and dashboards, runbook
//     anchors), strict decoding of every Kubernetes object into its API type;
//   - when the tool is on PATH, else skipped: `docker compose config -q`,
//     `kubectl kustomize` (base and overlays; without it only the raw base
//     files are checked), promtool via scripts/promcheck.sh check;
//   - with CEM_TEST_CLICKHOUSE_ADDR (itest): every ClickHouse query of the
//     Grafana dashboards runs against the migrated schema;
//   - with CEM_PROMCHECK=1: scripts/promcheck.sh scrape against stand-in
//     /metrics servers (real Prometheus, real HTTP API assertions).
package deploytest
