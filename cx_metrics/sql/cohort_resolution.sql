-- grain: one row per dim1 x dim2 x duration (minutes, rounded) x event flag, for tickets created in [$start, $end)
-- under the shared filters: how many tickets were solved after that many minutes (event), or were still open at
-- $as_of after that many minutes (censored). Solved or closed tickets without a solve time are left out (when they
-- ended is unknown). The Kaplan-Meier median, its interval, the quantiles and the log-rank tests of the cohorts
-- are computed from these counts (cx_metrics.metrics.cohorts): the same median as every other page.
WITH base AS (
    SELECT
        t.created_at, t.solved_at, t.status, t.created_at AS ref_at, t.channel AS interaction_channel,
        CAST(NULL AS VARCHAR) AS survey_name, CAST(NULL AS VARCHAR) AS touchpoint,
        c.birth_year, c.signup_at, c.plan, c.segment, c.region, c.country, c.acquisition_channel, c.attributes
    FROM tickets AS t
    LEFT JOIN customers AS c ON c.customer_id = t.customer_id
    WHERE t.created_at >= $start AND t.created_at < $end
      AND NOT (t.solved_at IS NULL AND t.status IN ('solved', 'closed'))
      AND coalesce(t.solved_at, CAST($as_of AS TIMESTAMP)) >= t.created_at
      -- @include customer_filters
      -- @include channel_filter
),
labelled AS (
    SELECT
        round(date_diff('second', created_at, coalesce(solved_at, CAST($as_of AS TIMESTAMP))) / 60.0) AS minutes,
        solved_at IS NOT NULL AS event,
        -- @include cohort_label($dim1, $attr1)
        AS dim1,
        -- @include cohort_label($dim2, $attr2)
        AS dim2
    FROM base
)
SELECT dim1, dim2, minutes, event, count(*) AS tickets
FROM labelled
GROUP BY ALL
