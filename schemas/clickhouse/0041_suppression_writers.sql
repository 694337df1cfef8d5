-- Writers of customer data (collector, processor with scorer and alert
-- publisher) acknowledge here the suppressed_ids version they enforce
-- (pkg/suppress): every write started since holds that list. A GDPR
-- erasure waits until every live writer (heartbeat_ms recent, stopped = 0)
-- acknowledged its version before it deletes. One row per heartbeat,
-- Replacing on writer_id by seq.
CREATE TABLE IF NOT EXISTS {{.DB}}.suppression_writers {{.OnCluster}}
(
    writer_id    String,   -- kind-host-random, one per running process
    kind         String,   -- collector, processor
    host         String,
    version      UInt64,   -- max(suppressed_ids.version) in force
    ids          UInt64,   -- ids in the list
    heartbeat_at DateTime,
    heartbeat_ms Int64,
    stopped      UInt8,    -- 1: shut down gracefully
    seq          UInt64    -- row version: heartbeat time in ns
)
ENGINE = {{engine "ReplacingMergeTree" "seq"}}
ORDER BY writer_id
