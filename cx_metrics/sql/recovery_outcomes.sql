-- grain: one row per index-ticket priority x experience (no failure / failure resolved fast / resolved slow /
-- unresolved): customers, those gone before the landmark, those followed for $horizon_days after it and of them
-- the churned; CSAT of the index ticket (top $top_boxes boxes); the first NPS answer within 180 days after the
-- landmark (promoters, detractors, answers).
WITH
-- @include customer_life
,
-- @include recovery_index
, csat AS (
    SELECT r.ticket_id, count(*) AS responses,
           count(*) FILTER (
               WHERE r.score > r.scale_max - CASE WHEN r.scale_max - r.scale_min + 1 >= 4 THEN $top_boxes ELSE 1 END
           ) AS satisfied
    FROM survey_responses AS r
    WHERE r.metric = 'csat' AND r.ticket_id IN (SELECT ticket_id FROM indexed)
    GROUP BY r.ticket_id
), nps AS (
    SELECT i.customer_id, arg_min(r.score, r.responded_at) AS score
    FROM indexed AS i
    JOIN survey_responses AS r
      ON r.customer_id = i.customer_id AND r.metric = 'nps'
     AND r.responded_at >= i.landmark AND r.responded_at < i.landmark + INTERVAL 180 DAY
    GROUP BY i.customer_id
)
SELECT
    i.priority,
    i.experience,
    count(*) AS customers,
    count(*) FILTER (WHERE i.left_before) AS left_before_landmark,
    count(*) FILTER (WHERE NOT i.left_before AND i.landmark + to_days(CAST($horizon_days AS INTEGER)) <= $obs_end)
        AS followed,
    count(*) FILTER (WHERE NOT i.left_before AND i.landmark + to_days(CAST($horizon_days AS INTEGER)) <= $obs_end
                     AND i.churned_at < i.landmark + to_days(CAST($horizon_days AS INTEGER))) AS churned,
    coalesce(sum(s.responses), 0) AS csat_responses,
    coalesce(sum(s.satisfied), 0) AS csat_satisfied,
    count(n.score) AS nps_responses,
    count(*) FILTER (WHERE n.score >= 9) AS promoters,
    count(*) FILTER (WHERE n.score <= 6) AS detractors
FROM indexed AS i
LEFT JOIN csat AS s ON s.ticket_id = i.ticket_id
LEFT JOIN nps AS n ON n.customer_id = i.customer_id
GROUP BY ALL
ORDER BY 1, 2
