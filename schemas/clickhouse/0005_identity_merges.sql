-- Log of identity merges with their cause (processor, issue 5). Replacing on
-- the full key so a replayed merge is stored once.
CREATE TABLE IF NOT EXISTS {{.DB}}.identity_merges {{.OnCluster}}
(
    at               DateTime,
    at_ms            Int64,
    cause            String,
    from_id          String,
    to_id            String,
    from_customer_id String,
    customer_id      String,
    event_id         String,
    version          UInt64
)
ENGINE = {{engine "ReplacingMergeTree" "version"}}
PARTITION BY toYYYYMM(at)
ORDER BY (customer_id, event_id, from_id, to_id)
