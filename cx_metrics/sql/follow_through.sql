-- grain: one row per group ($by) for tickets created in [$start, $end) and solved (solved_at set): reopens (tickets
-- without a reopen count are left out of that rate: unknown is not "never reopened"), one-touch resolutions (fewer than 2 agent replies; tickets without a reply count are left out of that rate),
-- and handoffs (group stations - 1; tickets without station counts left out).
SELECT
    -- @include ticket_group
    AS grp,
    count(*) AS solved,
    count(t.reopens) AS with_reopens,
    count(*) FILTER (WHERE t.reopens >= 1) AS reopened,
    count(t.replies) AS with_replies,
    count(*) FILTER (WHERE t.replies < 2) AS one_touch,
    count(t.group_stations) AS with_stations,
    avg(greatest(t.group_stations - 1, 0)) AS mean_handoffs,
    count(*) FILTER (WHERE t.group_stations >= 2) AS handed_off,
    count(*) FILTER (WHERE t.group_stations >= 3) AS handed_off_twice
FROM tickets AS t
-- @include group_customers_join(t.customer_id)
WHERE t.created_at >= $start AND t.created_at < $end AND t.solved_at IS NOT NULL
  -- @include customer_filters
  -- @include channel_filter
GROUP BY 1
ORDER BY 1
