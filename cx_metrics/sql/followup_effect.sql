-- grain: one row per stratum (kind x severity x quarter the customer was failed in) x arm, for failures triggered
-- in [$start, $end). Landmark design: the arm is fixed $landmark_days after the failure (followed = a follow-up
-- that reached the customer - outcome reached, recovered or declined - dated on or before the landmark; everyone
-- else, not reachable included, is "not followed"); only customers still there at the landmark and observed for
-- $horizon_days after it count, so nobody is credited with time they had to survive to be followed up.
-- churned: lost within $horizon_days after the landmark; nps_*: their first NPS answer within 180 days after it.
WITH
-- @include customer_life
,
-- @include followup_items
, units AS (
    SELECT i.kind, i.severity, date_trunc('quarter', i.triggered_at) AS period_start, i.customer_id,
           i.triggered_at + to_days(CAST($landmark_days AS INTEGER)) AS landmark,
           coalesce(f.status = 'closed' AND f.outcome IN ('reached', 'recovered', 'declined')
                    AND f.contacted_on <= CAST(i.triggered_at + to_days(CAST($landmark_days AS INTEGER)) AS DATE),
                    false) AS followed,
           l.churned_at
    FROM items AS i
    JOIN customer_life AS l ON l.customer_id = i.customer_id
    LEFT JOIN followups AS f ON f.item_key = i.item_key
    WHERE i.triggered_at >= $start AND i.triggered_at < $end
      AND (l.churned_at IS NULL OR l.churned_at >= i.triggered_at + to_days(CAST($landmark_days AS INTEGER)))
      AND i.triggered_at + to_days(CAST($landmark_days AS INTEGER) + CAST($horizon_days AS INTEGER)) <= $obs_end
), nps AS (
    SELECT u.customer_id, u.landmark, arg_min(r.score, r.responded_at) AS score
    FROM (SELECT DISTINCT customer_id, landmark FROM units) AS u
    JOIN survey_responses AS r
      ON r.customer_id = u.customer_id AND r.metric = 'nps'
     AND r.responded_at > u.landmark AND r.responded_at <= u.landmark + INTERVAL 180 DAY
    GROUP BY ALL
)
SELECT
    u.kind, u.severity, u.period_start, u.followed,
    count(*) AS units,
    count(*) FILTER (WHERE u.churned_at < u.landmark + to_days(CAST($horizon_days AS INTEGER))) AS churned,
    count(n.score) AS nps_responses,
    count(*) FILTER (WHERE n.score >= 9) AS promoters,
    count(*) FILTER (WHERE n.score <= 6) AS detractors
FROM units AS u
LEFT JOIN nps AS n ON n.customer_id = u.customer_id AND n.landmark = u.landmark
GROUP BY ALL
ORDER BY 1, 2, 3, 4
