-- grain: one row per comparison group. Landmark design: customers there at $landmark (started before it, not
-- churned before it); exposure = their complaints created in [$exposure_start, $landmark); outcome = churned in
-- [$landmark, $outcome_end). Groups: 'no complaint' (the baseline), 'any complaint', 'handled badly' (a complaint
-- unresolved at the landmark, solved after its priority's target ($targets), handed off or reopened: only what was
-- known at the landmark), 'handled well', and one row per complaint category.
WITH
-- @include customer_life
, at_risk AS (
    SELECT c.customer_id, c.churned_at IS NOT NULL AND c.churned_at < $outcome_end AS churned
    FROM customer_life AS c
    WHERE c.start_at < $landmark AND (c.churned_at IS NULL OR c.churned_at >= $landmark)
), exposed AS (
    SELECT
        t.customer_id,
        coalesce(t.category, '(no category)') AS category,
        t.solved_at IS NULL OR t.solved_at >= $landmark
            OR t.solved_at > t.created_at + to_seconds(CAST(coalesce(
                CAST($targets AS MAP(VARCHAR, DOUBLE))[coalesce(t.priority, '(no priority)')], 1e9) * 3600 AS BIGINT))
            OR coalesce(t.group_stations, 1) > 1
            OR coalesce(t.reopens, 0) > 0 AS badly
    FROM tickets AS t
    JOIN at_risk AS a ON a.customer_id = t.customer_id
    WHERE t.created_at >= $exposure_start AND t.created_at < $landmark
      AND coalesce(
      -- @include complaint_rule
      , false)
), per_customer AS (
    SELECT customer_id, bool_or(badly) AS any_bad, list(DISTINCT category) AS categories
    FROM exposed
    GROUP BY customer_id
), labelled AS (
    SELECT a.churned, p.customer_id IS NOT NULL AS complained, coalesce(p.any_bad, false) AS any_bad, p.categories
    FROM at_risk AS a
    LEFT JOIN per_customer AS p ON p.customer_id = a.customer_id
)
SELECT 'group' AS kind, 'no complaint' AS grp, count(*) AS customers, count(*) FILTER (WHERE churned) AS churned
FROM labelled WHERE NOT complained
UNION ALL
SELECT 'group', 'any complaint', count(*), count(*) FILTER (WHERE churned) FROM labelled WHERE complained
UNION ALL
SELECT 'handling', 'handled badly', count(*), count(*) FILTER (WHERE churned) FROM labelled WHERE any_bad
UNION ALL
SELECT 'handling', 'handled well', count(*), count(*) FILTER (WHERE churned)
FROM labelled WHERE complained AND NOT any_bad
UNION ALL
SELECT 'category', category, count(*), count(*) FILTER (WHERE churned)
FROM (SELECT churned, unnest(categories) AS category FROM labelled WHERE complained)
GROUP BY category
