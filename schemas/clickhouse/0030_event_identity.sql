-- One identity per event (issue 16): every copy of an event id collapses
-- under FINAL, whatever its delivery. 0001 keyed events by (customer_key,
-- ts_ms, event_id) and partitioned them by month of the skew-corrected time,
-- which differs on every delivery (receivedAt - (sentAt - originalTimestamp)),
-- so two deliveries of one messageId stayed two rows. ClickHouse 18.16
-- cannot change a sorting key in place: each "-- rebuild" statement below is
-- applied by chmigrate as a copy-swap (new table, copy, RENAME, catch-up,
-- drop; restartable at any step, see docs/operations.md "Schema upgrades").
--
-- The rule of which copy wins (docs/operations.md "Event identity"):
--   events: the FIRST RECEIVED copy. version = bitNot(received_ms), so the
--     earliest receivedAt has the highest version; replays of the same Kafka
--     record share it and the last written (newest processing) wins. The
--     copy's timestamp, session and every other column come with it.
--   sessions: the newest upsert (version = processing time), as before;
--     the partition by start month is gone because a session's start moves
--     backwards when late events join it.
--   identity_merges, alerts: the partition by a time of the delivery or of
--     the run is gone; the key alone identifies a row.
-- No table is partitioned by a time of the delivery any more: a
-- ReplacingMergeTree collapses rows only within one partition.

-- rebuild events
-- copy version = bitNot(toUInt64(received_ms))
-- catchup received_ms
CREATE TABLE IF NOT EXISTS {{.DB}}.events {{.OnCluster}}
(
    event_id        String,   -- source + ':' + messageId, the identity of the event
    message_id      String,
    source          String,
    type            String,
    event           String,
    name            String,
    customer_key    String,   -- Event.CustomerKey(): anonymousId else userId; the same in every copy
    customer_id     String,   -- canonical customer id resolved at write time (a hint; see identities)
    anonymous_id    String,
    user_id         String,
    group_id        String,
    previous_id     String,
    session_id      String,
    channel         String,
    touchpoint      String,
    timestamp       DateTime, -- skew-corrected event time (UTC), seconds: differs between deliveries
    ts_ms           Int64,    -- the same in epoch milliseconds
    original_ts_ms  Int64,
    sent_at_ms      Int64,
    received_at     DateTime,
    received_ms     Int64,
    ip              String,
    user_agent      String,
    browser         String,
    os              String,
    device_type     String,
    is_bot          UInt8,
    page_path       String,
    page_url        String,
    referrer        String,
    campaign_name   String,
    campaign_source String,
    campaign_medium String,
    properties      String,   -- raw JSON
    traits          String,   -- raw JSON
    context         String,   -- raw JSON
    score           Nullable(Float64),
    revenue         Float64,
    currency        String,
    order_id        String,
    ticket_id       String,
    ticket_channel  String,
    contract_id     String,
    contract_end_ms Int64,
    signal          String,
    signal_weight   Float64,
    version         UInt64    -- bitNot(received_ms): the first received copy wins
)
ENGINE = {{engine "ReplacingMergeTree" "version"}}
ORDER BY (customer_key, event_id);

-- rebuild sessions
-- catchup intDiv(version, 1000000)
CREATE TABLE IF NOT EXISTS {{.DB}}.sessions {{.OnCluster}}
(
    session_id       String,
    customer_key     String,
    customer_id      String,
    start            DateTime,
    start_ms         Int64,
    end_ms           Int64,
    duration_ms      Int64,
    event_count      UInt64,
    entry_touchpoint String,
    exit_touchpoint  String,
    channel          String,
    campaign         String,
    converted        UInt8,
    version          UInt64
)
ENGINE = {{engine "ReplacingMergeTree" "version"}}
ORDER BY (customer_key, session_id);

-- rebuild identity_merges
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
ORDER BY (customer_id, event_id, from_id, to_id);

-- rebuild alerts
CREATE TABLE IF NOT EXISTS {{.DB}}.alerts {{.OnCluster}}
(
    alert_id    String,
    customer_id String,
    reason      String,   -- detractor | complaint | churn_high
    severity    String,
    message     String,
    action      String,   -- suggested action
    details     Array(String),
    trigger_id  String,
    trigger_ms  Int64,
    raised_at   DateTime,
    raised_ms   Int64,
    version     UInt64
)
ENGINE = {{engine "ReplacingMergeTree" "version"}}
ORDER BY (customer_id, reason, alert_id);
