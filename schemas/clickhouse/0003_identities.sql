-- Current customer of every linked id (processor, issue 5). Read with FINAL
-- or argMax(customer_id, version). See services/processor/internal/identity.
CREATE TABLE IF NOT EXISTS {{.DB}}.identities {{.OnCluster}}
(
    id                String,
    customer_id       String,
    linked_at         DateTime,
    cause             String,
    source_message_id String,
    version           UInt64
)
ENGINE = {{engine "ReplacingMergeTree" "version"}}
ORDER BY id
