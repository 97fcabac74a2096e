-- grain: one row per (dimension, value) of the ticket and customer breakdowns, most common first: the stable list a
-- chart's colours are keyed on, so a value keeps its colour whatever a filter or a period leaves out. One grouping
-- set per breakdown column over the tickets' and customers' columns side by side; empty values left out.
SELECT
    CASE 0
        WHEN grouping(category) THEN 'category' WHEN grouping(channel) THEN 'channel'
        WHEN grouping(priority) THEN 'priority' WHEN grouping(group_name) THEN 'group'
        WHEN grouping(ticket_type) THEN 'ticket_type' WHEN grouping(plan) THEN 'plan'
        WHEN grouping(region) THEN 'region' WHEN grouping(segment) THEN 'segment'
        WHEN grouping(acquisition_channel) THEN 'acquisition_channel' ELSE 'signup_year' END AS dimension,
    coalesce(category, channel, priority, group_name, ticket_type, plan, region, segment, acquisition_channel,
             signup_year) AS value,
    count(*) AS n
FROM (
    -- written out, not UNION ALL BY NAME: Spark SQL has no by-name union that fills the other table's columns
    SELECT category, channel, priority, group_name, ticket_type, CAST(NULL AS VARCHAR) AS plan,
           CAST(NULL AS VARCHAR) AS region, CAST(NULL AS VARCHAR) AS segment,
           CAST(NULL AS VARCHAR) AS acquisition_channel, CAST(NULL AS VARCHAR) AS signup_year
    FROM tickets
    UNION ALL
    SELECT NULL, NULL, NULL, NULL, NULL, plan, region, segment, acquisition_channel,
           CAST(year(signup_at) AS VARCHAR)
    FROM customers
)
GROUP BY GROUPING SETS ((category), (channel), (priority), (group_name), (ticket_type), (plan), (region), (segment),
                        (acquisition_channel), (signup_year))
HAVING value IS NOT NULL
ORDER BY dimension, n DESC, value
