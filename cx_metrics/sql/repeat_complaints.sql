-- grain: one row per category. Complaints created in [$start, $end) whose 30-day follow-up window ends before
-- the last ticket in the database ($observed_until), and how many of them were followed by another complaint
-- from the same customer in the same category within 30 days (the issue was not fixed at the root).
WITH complaints AS (
    SELECT
        t.customer_id,
        coalesce(t.category, '(no category)') AS category,
        t.created_at,
        lead(t.created_at) OVER (
            PARTITION BY t.customer_id, coalesce(t.category, '(no category)') ORDER BY t.created_at
        ) AS next_at
    FROM tickets AS t
    -- @include filter_customers_join(t.customer_id)
    WHERE
        -- @include complaint_rule
      AND t.customer_id IS NOT NULL AND t.created_at IS NOT NULL
      AND t.created_at >= $start
  -- @include customer_filters
  -- @include channel_filter
)
SELECT
    category,
    count(*) FILTER (WHERE created_at < $end AND created_at + INTERVAL 30 DAY <= $observed_until) AS complaints,
    count(*) FILTER (
        WHERE created_at < $end AND created_at + INTERVAL 30 DAY <= $observed_until
          AND next_at <= created_at + INTERVAL 30 DAY
    ) AS repeated,
    count(*) FILTER (WHERE created_at < $end AND created_at + INTERVAL 30 DAY > $observed_until) AS not_yet_observable
FROM complaints
GROUP BY category
ORDER BY category
