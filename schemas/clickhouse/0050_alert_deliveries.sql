-- Outbound webhook deliveries of closed-loop alerts (issue 21): one row per
-- alert and target with the outcome. status = delivered, or dead (the
-- dead-letter: every attempt failed, or the receiver refused the request as
-- such; reason says why). A re-delivery of the same alert (a replay of
-- cem.alerts) is skipped when a delivered row exists; the newest row of an
-- alert and target wins.
CREATE TABLE IF NOT EXISTS {{.DB}}.alert_deliveries {{.OnCluster}}
(
    alert_id     String,
    target       String,
    customer_id  String,
    reason       String,   -- the alert's reason
    status       String,   -- delivered | dead
    attempts     UInt32,
    http_status  UInt16,   -- of the last attempt; 0 when none answered
    error        String,   -- why the delivery was dead-lettered (empty when delivered)
    started_ms   Int64,
    done_ms      Int64,
    latency_ms   Int64,    -- from the trigger's receipt (else the alert's raise) to done
    version      UInt64
)
ENGINE = {{engine "ReplacingMergeTree" "version"}}
ORDER BY (alert_id, target)
