-- The historical reports' sums, kept beside the stays (`report_stays`) in the same
-- transactions: each fact of a stay added up in the quarter hour it happened (its own
-- time, `bucket`: the quarter's start in Unix milliseconds), per queue and ONE other
-- dimension (`dim`: 0 channel in `val`, 1 wrap-up code in `val` ('' for none),
-- 2 agent in `agent_id`, over every queue (`queue_id` nil) — agents times queues per
-- quarter hour would be as many rows as the stays). A report grouped by none, queue,
-- channel, code or agent reads one dimension's rows of its range instead of every stay.
-- Unused parts of the key are the nil id and ''. The columns are what
-- `store::reports::stay_sums` adds per fact.
CREATE TABLE report_rollup (
    org_id UUID NOT NULL,
    dim BIGINT NOT NULL,
    bucket BIGINT NOT NULL,
    queue_id UUID NOT NULL,
    agent_id UUID NOT NULL,
    val TEXT NOT NULL,
    offered BIGINT NOT NULL,
    answered BIGINT NOT NULL,
    answered_in_sl BIGINT NOT NULL,
    answer_wait_ms BIGINT NOT NULL,
    abandoned BIGINT NOT NULL,
    abandon_wait_ms BIGINT NOT NULL,
    expired BIGINT NOT NULL,
    handled BIGINT NOT NULL,
    handle_ms BIGINT NOT NULL,
    transferred BIGINT NOT NULL,
    wrapped BIGINT NOT NULL,
    acw_ms BIGINT NOT NULL,
    rated BIGINT NOT NULL,
    csat_sum BIGINT NOT NULL,
    PRIMARY KEY (org_id, dim, bucket, queue_id, agent_id, val)
);
-- Filled from the stays already there: each fact once per dimension.
INSERT INTO report_rollup
SELECT f.org_id, d.dim, f.bucket,
    CASE WHEN d.dim = 2 THEN '00000000-0000-0000-0000-000000000000'::uuid ELSE f.queue_id END,
    CASE WHEN d.dim = 2 THEN COALESCE(f.agent_id, '00000000-0000-0000-0000-000000000000'::uuid)
        ELSE '00000000-0000-0000-0000-000000000000'::uuid END,
    CASE d.dim WHEN 0 THEN f.channel WHEN 1 THEN COALESCE(f.code, '') ELSE '' END,
    SUM(f.offered), SUM(f.answered), SUM(f.answered_in_sl), SUM(f.answer_wait_ms),
    SUM(f.abandoned), SUM(f.abandon_wait_ms), SUM(f.expired), SUM(f.handled),
    SUM(f.handle_ms), SUM(f.transferred), SUM(f.wrapped), SUM(f.acw_ms), SUM(f.rated),
    SUM(f.csat_sum)
FROM (
    SELECT org_id, queue_id, channel, agent_id, code,
        offered_at - offered_at % 900000 AS bucket,
        1 AS offered, 0 AS answered, 0 AS answered_in_sl, 0 AS answer_wait_ms,
        0 AS abandoned, 0 AS abandon_wait_ms, 0 AS expired, 0 AS handled, 0 AS handle_ms,
        0 AS transferred, 0 AS wrapped, 0 AS acw_ms, 0 AS rated, 0 AS csat_sum
    FROM report_stays
    UNION ALL
    SELECT org_id, queue_id, channel, agent_id, code, answered_at - answered_at % 900000,
        0, 1, in_sl, COALESCE(answer_wait_ms, 0), 0, 0, 0, 0, 0, 0, 0, 0, 0, 0
    FROM report_stays WHERE answered_at IS NOT NULL
    UNION ALL
    SELECT org_id, queue_id, channel, agent_id, code, ended_at - ended_at % 900000,
        0, 0, 0, 0,
        CASE WHEN outcome = 'abandoned' THEN 1 ELSE 0 END,
        CASE WHEN outcome = 'abandoned' THEN COALESCE(wait_ms, 0) ELSE 0 END,
        CASE WHEN outcome = 'expired' THEN 1 ELSE 0 END,
        CASE WHEN outcome = 'handled' THEN 1 ELSE 0 END,
        CASE WHEN outcome = 'handled' THEN COALESCE(handle_ms, 0) ELSE 0 END,
        CASE WHEN outcome = 'transferred' THEN 1 ELSE 0 END,
        0, 0, 0, 0
    FROM report_stays
    WHERE ended_at IS NOT NULL AND outcome IN ('abandoned', 'expired', 'handled', 'transferred')
    UNION ALL
    SELECT org_id, queue_id, channel, agent_id, code, wrapped_at - wrapped_at % 900000,
        0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, COALESCE(acw_ms, 0), 0, 0
    FROM report_stays WHERE wrapped_at IS NOT NULL
    UNION ALL
    SELECT org_id, queue_id, channel, agent_id, code, rated_at - rated_at % 900000,
        0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, csat
    FROM report_stays WHERE rated_at IS NOT NULL AND csat IS NOT NULL
) AS f
CROSS JOIN (SELECT 0 AS dim UNION ALL SELECT 1 UNION ALL SELECT 2) AS d
GROUP BY 1, 2, 3, 4, 5, 6;
