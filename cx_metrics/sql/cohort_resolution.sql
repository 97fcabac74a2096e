-- grain: one row per dim1 x dim2: tickets created in [$start, $end) under the shared filters; solved ones give
-- hours to full resolution (created -> last solved) as median with a distribution-free order-statistic CI ($z),
-- quartiles and p10/p90; open tickets are censored (counted in still_open, never in the median).
-- above_pooled (hours above the median of the whole table) feeds Mood's median test of a cell vs the rest.
WITH base AS (
    SELECT
        t.created_at, t.solved_at, t.status, t.created_at AS ref_at, t.channel AS interaction_channel,
        CAST(NULL AS VARCHAR) AS survey_name, CAST(NULL AS VARCHAR) AS touchpoint,
        c.birth_year, c.signup_at, c.plan, c.segment, c.region, c.country, c.acquisition_channel, c.attributes
    FROM tickets AS t
    LEFT JOIN customers AS c ON c.customer_id = t.customer_id
    WHERE t.created_at >= $start AND t.created_at < $end
      -- @include customer_filters
      -- @include channel_filter
),
labelled AS (
    SELECT
        CASE WHEN solved_at >= created_at THEN date_diff('second', created_at, solved_at) / 3600.0 END AS hours,
        solved_at IS NULL AND status NOT IN ('solved', 'closed') AS still_open,
        -- @include cohort_label($dim1, $attr1)
        AS dim1,
        -- @include cohort_label($dim2, $attr2)
        AS dim2
    FROM base
),
done AS (
    SELECT dim1, dim2, hours,
        row_number() OVER (PARTITION BY dim1, dim2 ORDER BY hours) AS rn,
        count(*) OVER (PARTITION BY dim1, dim2) AS cnt
    FROM labelled
    WHERE hours IS NOT NULL
),
pooled AS (SELECT quantile_cont(hours, 0.5) AS m FROM done),
summary AS (
    SELECT dim1, dim2,
        count(*) AS n,
        quantile_cont(hours, 0.5) AS median_hours,
        min(hours) FILTER (WHERE rn >= floor(cnt / 2.0 - $z * sqrt(cnt) / 2.0)) AS ci_low,
        max(hours) FILTER (WHERE rn <= ceil(1 + cnt / 2.0 + $z * sqrt(cnt) / 2.0)) AS ci_high,
        quantile_cont(hours, 0.1) AS p10, quantile_cont(hours, 0.25) AS p25, quantile_cont(hours, 0.75) AS p75,
        quantile_cont(hours, 0.9) AS p90, avg(hours) AS mean,
        count(*) FILTER (WHERE hours > (SELECT m FROM pooled)) AS above_pooled
    FROM done
    GROUP BY dim1, dim2
),
opened AS (
    SELECT dim1, dim2, count(*) FILTER (WHERE still_open) AS still_open FROM labelled GROUP BY dim1, dim2
)
SELECT o.dim1, o.dim2, coalesce(s.n, 0) AS n, s.median_hours, s.ci_low, s.ci_high, s.p10, s.p25, s.p75, s.p90,
       s.mean, coalesce(s.above_pooled, 0) AS above_pooled, o.still_open
FROM opened AS o
LEFT JOIN summary AS s ON s.dim1 = o.dim1 AND s.dim2 = o.dim2
ORDER BY o.dim1, o.dim2
