-- Satisfaction counters per day, survey kind, source, channel and touchpoint
-- (scores, issue 6). The counters are additive: sum them over any period or
-- dimension, then NPS = 100 * (promoters - detractors) / n, CSAT = 100 *
-- satisfied / n, CES = score_sum / n. Show a figure only with n >= the
-- minimum (CEM_SCORES_MIN_RESPONSES, default 5). touchpoint is the survey's
-- properties.touchpoint (the touchpoint being rated) when set, else the
-- survey event's own touchpoint.
CREATE VIEW IF NOT EXISTS {{.DB}}.satisfaction_daily {{.OnCluster}} AS
SELECT
    day, kind, source, channel, tp AS touchpoint,
    count() AS n,
    countIf(kind = 'nps' AND s >= 9) AS promoters,
    countIf(kind = 'nps' AND s >= 7 AND s < 9) AS passives,
    countIf(kind = 'nps' AND s <= 6) AS detractors,
    countIf(kind = 'csat' AND s >= 4) AS satisfied,
    sum(s) AS score_sum
FROM
(
    SELECT
        toDate(timestamp) AS day,
        multiIf(event = 'NPS Submitted', 'nps', event = 'CSAT Submitted', 'csat', 'ces') AS kind,
        source, channel,
        if(visitParamExtractString(properties, 'touchpoint') != '', visitParamExtractString(properties, 'touchpoint'), touchpoint) AS tp,
        assumeNotNull(score) AS s
    FROM {{.DB}}.events FINAL
    WHERE type = 'track' AND event IN ('NPS Submitted', 'CSAT Submitted', 'CES Submitted') AND isNotNull(score) AND is_bot = 0
)
GROUP BY day, kind, source, channel, tp;

-- Experience per touchpoint interaction, per day: every event with an
-- experience signal (events.signal, weight in [-1, 1]) counts; experience =
-- 50 + 50 * weight_sum / n (0-100, 50 neutral).
CREATE VIEW IF NOT EXISTS {{.DB}}.touchpoint_experience_daily {{.OnCluster}} AS
SELECT
    toDate(timestamp) AS day, channel, touchpoint,
    count() AS n,
    countIf(signal_weight < 0) AS negative,
    countIf(signal_weight > 0) AS positive,
    sum(signal_weight) AS weight_sum,
    50 + 50 * sum(signal_weight) / count() AS experience
FROM {{.DB}}.events FINAL
WHERE signal != '' AND is_bot = 0
GROUP BY day, channel, touchpoint
