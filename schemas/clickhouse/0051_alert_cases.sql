-- Case state of closed-loop alerts (issue 21): every change of an alert's
-- case, append-only, with who (the query token's name) and when. An alert
-- without a change is an open case. state and owner are the values after
-- the change; note is the change's note. at_ms increases strictly per alert
-- (the query service writes max(now, previous + 1)), so the latest change
-- is argMax(..., at_ms). change_id makes a retried insert collapse.
CREATE TABLE IF NOT EXISTS {{.DB}}.alert_case_changes {{.OnCluster}}
(
    change_id   String,
    alert_id    String,
    customer_id String,
    reason      String,
    state       String,   -- open | assigned | contacted | resolved | dismissed
    owner       String,
    note        String,
    actor       String,   -- the token that made the change (its name, never the secret)
    at          DateTime,
    at_ms       Int64,
    version     UInt64
)
ENGINE = {{engine "ReplacingMergeTree" "version"}}
ORDER BY (alert_id, at_ms, change_id)
