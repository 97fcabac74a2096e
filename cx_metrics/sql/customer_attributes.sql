-- grain: one row per customer x attribute key (the customers.attributes JSON: every other source column),
-- value as text. The model turns keys into features (numbers when they read as numbers, else categories).
SELECT c.customer_id, k.key, json_extract_string(c.attributes, '$."' || replace(k.key, '"', '\"') || '"') AS value
FROM customers AS c, unnest(json_keys(c.attributes)) AS k(key)
WHERE c.attributes IS NOT NULL
ORDER BY 1, 2
