-- grain: one row per key of the customers' `attributes` JSON objects, with how many customers carry it
SELECT k AS attribute, count(*) AS customers
FROM (SELECT unnest(json_keys(attributes)) AS k FROM customers WHERE attributes IS NOT NULL)
GROUP BY k
ORDER BY customers DESC, k
