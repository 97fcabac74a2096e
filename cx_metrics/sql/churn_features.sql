-- grain: one row per snapshot ($snapshots) x customer there at it: started before it and not yet known to have
-- churned (event_at = churned_at + $declare_days: the churn date itself in contractual mode, the day a lapse is
-- declared in activity mode). Leakage guard: every feature uses only rows dated strictly before the snapshot
-- (tickets created, solved and breached before it; reopens and handoffs only of tickets whose last solve was
-- before it, since those counts are final values; responses answered before it; activity before it).
-- Label: the event falls in [snapshot, snapshot + $horizon_days). $sample_mod > 1 keeps a deterministic 1 in
-- $sample_mod of the customer x snapshot rows (training on very large bases), the same rows on DuckDB and Spark.
WITH
-- @include customer_life
, snaps AS (
    SELECT unnest(CAST($snapshots AS TIMESTAMP[])) AS snapshot_at
), life AS (
    SELECT *, churned_at + to_days(CAST($declare_days AS INTEGER)) AS event_at FROM customer_life
), pop AS (
    SELECT
        s.snapshot_at, c.customer_id, c.plan, c.segment, c.region, c.acquisition_channel,
        -- @include generation
        AS generation,
        date_diff('day', c.start_at, s.snapshot_at) AS tenure_days,
        coalesce(c.event_at < s.snapshot_at + to_days(CAST($horizon_days AS INTEGER)), false) AS label,
        c.event_at
    FROM snaps AS s
    JOIN life AS c ON c.start_at < s.snapshot_at AND (c.event_at IS NULL OR c.event_at >= s.snapshot_at)
    -- the sample's hash is md5's first 60 bits, which DuckDB and Spark compute alike (their hash() differ)
    WHERE $sample_mod <= 1 OR CAST('0x' || substr(md5(c.customer_id || '|' || strftime(s.snapshot_at,
          '%Y-%m-%d %H:%M:%S')), 1, 15) AS BIGINT) % CAST($sample_mod AS BIGINT) = 0
), tickets_known AS (
    SELECT
        t.*,
        t.created_at + to_seconds(CAST(CAST($targets AS MAP(VARCHAR, DOUBLE))[coalesce(t.priority, '(no priority)')]
                                       * 3600 AS BIGINT)) AS target_at,
        -- solved or closed without any recorded time: when it ended is unknown, so it is never counted as open
        t.status IN ('solved', 'closed') AND coalesce(t.first_solved_at, t.solved_at, t.closed_at) IS NULL AS timeless,
        coalesce(t.first_solved_at, t.solved_at, t.closed_at) AS ended_at,
        coalesce(
        -- @include complaint_rule
        , false) AS complaint
    FROM tickets AS t
), tk AS (
    SELECT
        p.snapshot_at, p.customer_id,
        count(*) FILTER (WHERE t.created_at >= p.snapshot_at - INTERVAL 30 DAY) AS tickets_30d,
        count(*) FILTER (WHERE t.created_at >= p.snapshot_at - INTERVAL 90 DAY) AS tickets_90d,
        count(*) FILTER (WHERE t.created_at >= p.snapshot_at - INTERVAL 90 DAY AND t.complaint) AS complaints_90d,
        count(*) FILTER (WHERE NOT t.timeless AND (t.ended_at IS NULL OR t.ended_at >= p.snapshot_at))
            AS open_tickets,
        count(*) FILTER (WHERE NOT t.timeless AND (t.ended_at IS NULL OR t.ended_at >= p.snapshot_at)
                         AND t.created_at < p.snapshot_at - INTERVAL 7 DAY) AS aged_open_tickets,
        count(*) FILTER (WHERE t.created_at >= p.snapshot_at - INTERVAL 90 DAY AND t.target_at IS NOT NULL AND (
            (t.solved_at < p.snapshot_at AND t.solved_at > t.target_at)
            OR ((t.solved_at IS NULL OR t.solved_at >= p.snapshot_at) AND NOT t.timeless
                AND p.snapshot_at > t.target_at))) AS sla_breaches_90d,
        coalesce(sum(coalesce(t.reopens, 0)) FILTER (
            WHERE t.created_at >= p.snapshot_at - INTERVAL 90 DAY AND t.solved_at < p.snapshot_at), 0) AS reopens_90d,
        coalesce(sum(greatest(coalesce(t.group_stations, 1) - 1, 0)) FILTER (
            WHERE t.created_at >= p.snapshot_at - INTERVAL 90 DAY AND t.solved_at < p.snapshot_at), 0)
            AS handoffs_90d,
        count(*) FILTER (WHERE t.complaint) AS complaints_365d,
        -- complaints handled badly as known at the snapshot: still open past the target, solved after it, handed
        -- off (counted once solved: station counts are final values) or reopened (idem)
        count(*) FILTER (WHERE t.complaint AND (
            (t.target_at IS NOT NULL AND NOT t.timeless AND (t.solved_at IS NULL OR t.solved_at >= p.snapshot_at)
             AND p.snapshot_at > t.target_at)
            OR (t.solved_at < p.snapshot_at AND (t.solved_at > t.target_at OR coalesce(t.group_stations, 1) > 1
                                                 OR coalesce(t.reopens, 0) > 0)))) AS bad_complaints_365d,
        date_diff('day', max(t.created_at), p.snapshot_at) AS days_since_ticket
    FROM pop AS p
    JOIN tickets_known AS t ON t.customer_id = p.customer_id AND t.created_at < p.snapshot_at
        AND t.created_at >= p.snapshot_at - INTERVAL 365 DAY
    GROUP BY 1, 2
), sv AS (
    SELECT
        p.snapshot_at, p.customer_id,
        count(*) FILTER (WHERE r.metric = 'csat' AND r.responded_at >= p.snapshot_at - INTERVAL 90 DAY)
            AS csat_responses_90d,
        count(*) FILTER (WHERE r.metric = 'csat' AND r.responded_at >= p.snapshot_at - INTERVAL 90 DAY
                         AND r.score <= r.scale_max - CASE WHEN r.scale_max - r.scale_min + 1 >= 4 THEN $top_boxes
                                                          ELSE 1 END) AS bad_csat_90d,
        arg_max(r.score, r.responded_at) FILTER (WHERE r.metric = 'nps') AS last_nps,
        date_diff('day', max(r.responded_at) FILTER (WHERE r.metric = 'nps'), p.snapshot_at) AS days_since_nps
    FROM pop AS p
    JOIN survey_responses AS r ON r.customer_id = p.customer_id AND r.responded_at < p.snapshot_at
        AND r.responded_at >= p.snapshot_at - INTERVAL 730 DAY
    GROUP BY 1, 2
), ac AS (
    SELECT
        p.snapshot_at, p.customer_id,
        count(*) FILTER (WHERE a.occurred_at >= p.snapshot_at - INTERVAL 90 DAY) AS activity_90d,
        date_diff('day', max(a.occurred_at), p.snapshot_at) AS days_since_activity
    FROM pop AS p
    JOIN customer_activity AS a ON a.customer_id = p.customer_id AND a.occurred_at < p.snapshot_at
        AND a.occurred_at >= p.snapshot_at - INTERVAL 365 DAY
    GROUP BY 1, 2
)
SELECT
    p.snapshot_at, p.customer_id, p.label, p.event_at,
    p.plan, p.segment, p.region, p.acquisition_channel, p.generation, p.tenure_days,
    coalesce(tk.tickets_30d, 0) AS tickets_30d,
    coalesce(tk.tickets_90d, 0) AS tickets_90d,
    coalesce(tk.complaints_90d, 0) AS complaints_90d,
    coalesce(tk.open_tickets, 0) AS open_tickets,
    coalesce(tk.aged_open_tickets, 0) AS aged_open_tickets,
    coalesce(tk.sla_breaches_90d, 0) AS sla_breaches_90d,
    coalesce(tk.reopens_90d, 0) AS reopens_90d,
    coalesce(tk.handoffs_90d, 0) AS handoffs_90d,
    coalesce(tk.complaints_365d, 0) AS complaints_365d,
    coalesce(tk.bad_complaints_365d, 0) AS bad_complaints_365d,
    tk.days_since_ticket,
    coalesce(sv.csat_responses_90d, 0) AS csat_responses_90d,
    coalesce(sv.bad_csat_90d, 0) AS bad_csat_90d,
    CASE WHEN sv.last_nps IS NULL THEN 'no answer' WHEN sv.last_nps >= 9 THEN 'promoter'
         WHEN sv.last_nps >= 7 THEN 'passive' ELSE 'detractor' END AS last_nps_group,
    sv.days_since_nps,
    coalesce(ac.activity_90d, 0) AS activity_90d,
    ac.days_since_activity
FROM pop AS p
LEFT JOIN tk ON tk.snapshot_at = p.snapshot_at AND tk.customer_id = p.customer_id
LEFT JOIN sv ON sv.snapshot_at = p.snapshot_at AND sv.customer_id = p.customer_id
LEFT JOIN ac ON ac.snapshot_at = p.snapshot_at AND ac.customer_id = p.customer_id
ORDER BY p.snapshot_at, p.customer_id
