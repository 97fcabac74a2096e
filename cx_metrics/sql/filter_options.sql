-- grain: one row per (dimension, value) available to the shared filters, with how many rows carry it
SELECT 'plans' AS dimension, plan AS value, count(*) AS n FROM customers WHERE plan IS NOT NULL GROUP BY plan
UNION ALL
SELECT 'regions', region, count(*) FROM customers WHERE region IS NOT NULL GROUP BY region
UNION ALL
SELECT 'segments', segment, count(*) FROM customers WHERE segment IS NOT NULL GROUP BY segment
UNION ALL
SELECT 'channels', channel, count(*) FROM tickets WHERE channel IS NOT NULL GROUP BY channel
ORDER BY dimension, n DESC, value
