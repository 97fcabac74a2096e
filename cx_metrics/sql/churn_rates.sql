-- grain: one row per bucket ($starts[i] .. $ends[i]) x cohort ($by): customers at the bucket's start (started
-- before it, not churned before it) and those of them lost in the bucket. Churn rate = lost / at_start.
WITH
-- @include customer_life
, buckets AS (
    SELECT unnest(CAST($starts AS TIMESTAMP[])) AS period_start, unnest(CAST($ends AS TIMESTAMP[])) AS period_end
)
SELECT
    b.period_start,
    b.period_end,
    -- @include churn_cohort
    AS cohort,
    count(*) FILTER (
        WHERE c.start_at < b.period_start AND (c.churned_at IS NULL OR c.churned_at >= b.period_start)
    ) AS at_start,
    count(*) FILTER (
        WHERE c.start_at < b.period_start AND c.churned_at >= b.period_start AND c.churned_at < b.period_end
    ) AS lost
FROM buckets AS b
CROSS JOIN customer_life AS c
GROUP BY ALL
ORDER BY 1, 3
