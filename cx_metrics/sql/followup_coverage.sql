-- grain: one row per team ($by = 'team'; 'all': one row, team NULL) x month of the due date, for items due in
-- [$start, $end) and no later than $as_of (their time is up): due, closed in time (the follow-up dated on or before
-- the due date), closed late, not closed; days from the failure to the follow-up of those closed (median, 90th
-- percentile; whole days, as a follow-up is dated by the day).
WITH
-- @include followup_items
SELECT
    CASE WHEN $by = 'team' THEN i.team END AS team,
    date_trunc('month', i.due_at) AS period_start,
    count(*) AS due,
    count(*) FILTER (WHERE f.status = 'closed' AND f.contacted_on <= CAST(i.due_at AS DATE)) AS in_time,
    count(*) FILTER (WHERE f.status = 'closed' AND f.contacted_on > CAST(i.due_at AS DATE)) AS late,
    count(*) FILTER (WHERE f.status IS DISTINCT FROM 'closed') AS not_closed,
    median(date_diff('day', CAST(i.triggered_at AS DATE), f.contacted_on)) FILTER (WHERE f.status = 'closed')
        AS median_days,
    quantile_cont(date_diff('day', CAST(i.triggered_at AS DATE), f.contacted_on), 0.9)
        FILTER (WHERE f.status = 'closed') AS p90_days
FROM items AS i
LEFT JOIN followups AS f ON f.item_key = i.item_key
LEFT JOIN customers AS c ON c.customer_id = i.customer_id
WHERE i.due_at >= $start AND i.due_at < $end AND i.due_at <= CAST($as_of AS TIMESTAMP)
  -- @include customer_filters
GROUP BY ALL
ORDER BY 1, 2
