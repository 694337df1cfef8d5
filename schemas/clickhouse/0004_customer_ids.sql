-- The ids of every customer, indexed by customer (processor, issue 5):
-- SELECT id FROM customer_ids FINAL WHERE customer_id = ? AND deleted = 0.
-- deleted = 1 is the tombstone written when an id moves to another customer.
CREATE TABLE IF NOT EXISTS {{.DB}}.customer_ids {{.OnCluster}}
(
    customer_id String,
    id          String,
    deleted     UInt8,
    version     UInt64
)
ENGINE = {{engine "ReplacingMergeTree" "version"}}
ORDER BY (customer_id, id)
