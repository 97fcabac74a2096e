-- CTEs `base` and `kept`: responses to $metric in [$start, $end) under the shared filters and $surveys, each
-- with its bucket ($grain week / month, or 'period': $start or $cur_start, whichever it falls after), the cohort
-- labels dim1 / dim2 and `o`, the score oriented so that higher is better (reversed effort scales flipped).
-- $level = 'customer' keeps only each customer's latest response per bucket and cell (responses without a
-- customer count as their own respondent). Needs: $metric, $start, $end, $cur_start, $grain, $level, $dim1, $attr1,
-- $dim2, $attr2, $surveys, $all_surveys, $join_customers, $all_channels, $channels and the
-- customer filters (surveys.base_params binds them all).
base AS (
    SELECT
        r.source, r.response_id, r.survey_name, r.question, r.customer_id, r.ticket_id, r.comment, r.touchpoint,
        coalesce(r.customer_id, 'response:' || r.source || ':' || r.response_id) AS who,
        r.responded_at, r.responded_at AS ref_at, r.score, r.scale_min, r.scale_max, r.higher_is_better,
        CASE WHEN r.higher_is_better THEN r.score ELSE r.scale_min + r.scale_max - r.score END AS o,
        r.channel AS interaction_channel,
        c.birth_year, c.signup_at, c.plan, c.segment, c.region, c.country, c.acquisition_channel, c.attributes,
        CASE $grain
            WHEN 'week' THEN date_trunc('week', r.responded_at)
            WHEN 'month' THEN date_trunc('month', r.responded_at)
            ELSE CASE WHEN r.responded_at >= $cur_start THEN $cur_start ELSE $start END END AS bucket
    FROM survey_responses AS r
    -- $join_customers false (no customer filter, cohort or customer column is read): an empty join, planned away
    LEFT JOIN (SELECT * FROM customers WHERE $join_customers) AS c ON c.customer_id = r.customer_id
    WHERE r.metric = $metric AND r.responded_at >= $start AND r.responded_at < $end
      -- @include customer_filters
      AND ($all_channels OR list_contains(CAST($channels AS VARCHAR[]), r.channel))
      AND ($all_surveys OR list_contains(CAST($surveys AS VARCHAR[]), r.survey_name))
),
labelled AS (
    SELECT
        *,
        -- @include cohort_label($dim1, $attr1)
        AS dim1,
        -- @include cohort_label($dim2, $attr2)
        AS dim2
    FROM base
),
kept AS (
    SELECT *
    FROM labelled
    QUALIFY $level = 'response'
        OR row_number() OVER (PARTITION BY bucket, dim1, dim2, who ORDER BY responded_at DESC, response_id DESC) = 1
)
