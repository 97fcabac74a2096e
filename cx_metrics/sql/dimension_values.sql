-- grain: one row per (dimension, value) of the ticket and customer breakdowns, most common first: the stable list a
-- chart's colours are keyed on, so a value keeps its colour whatever a filter or a period leaves out.
SELECT 'category' AS dimension, category AS value, count(*) AS n FROM tickets WHERE category IS NOT NULL GROUP BY 2
UNION ALL
SELECT 'channel', channel, count(*) FROM tickets WHERE channel IS NOT NULL GROUP BY 2
UNION ALL
SELECT 'priority', priority, count(*) FROM tickets WHERE priority IS NOT NULL GROUP BY 2
UNION ALL
SELECT 'group', group_name, count(*) FROM tickets WHERE group_name IS NOT NULL GROUP BY 2
UNION ALL
SELECT 'ticket_type', ticket_type, count(*) FROM tickets WHERE ticket_type IS NOT NULL GROUP BY 2
UNION ALL
SELECT 'plan', plan, count(*) FROM customers WHERE plan IS NOT NULL GROUP BY 2
UNION ALL
SELECT 'region', region, count(*) FROM customers WHERE region IS NOT NULL GROUP BY 2
UNION ALL
SELECT 'segment', segment, count(*) FROM customers WHERE segment IS NOT NULL GROUP BY 2
UNION ALL
SELECT 'acquisition_channel', acquisition_channel, count(*) FROM customers WHERE acquisition_channel IS NOT NULL
GROUP BY 2
UNION ALL
SELECT 'signup_year', CAST(year(signup_at) AS VARCHAR), count(*) FROM customers WHERE signup_at IS NOT NULL GROUP BY 2
ORDER BY dimension, n DESC, value
