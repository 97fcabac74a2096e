-- grain: one row per bucket ($starts[i] .. $ends[i]) x dimension value: customers active at some time in the
-- bucket (signed up before its end, not churned before its start). For ticket dimensions (category, channel...)
-- the dimension is 'All complaints'-like and the whole filtered customer base is the denominator.
WITH buckets AS (
    SELECT unnest(CAST($starts AS TIMESTAMP[])) AS period_start, unnest(CAST($ends AS TIMESTAMP[])) AS period_end
)
SELECT
    b.period_start,
    -- @include cohort_dimension
    AS dimension,
    count(*) AS active_customers
FROM buckets AS b
JOIN customers AS c
  ON (c.signup_at IS NULL OR c.signup_at < b.period_end) AND (c.churned_at IS NULL OR c.churned_at >= b.period_start)
WHERE true
  -- @include customer_filters
GROUP BY 1, 2
ORDER BY 1, 2
