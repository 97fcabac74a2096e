-- grain: one row: for tickets created in [$start, $end) that carry the vendor's own minutes for $metric
-- (first_response / full_resolution) on the $clock, our minutes from the stored times against the vendor's.
-- agree = within one minute or 1% of the vendor's figure (vendors round to whole minutes).
WITH bh AS MATERIALIZED (
    -- @include business_hour_table
),
base AS (
    SELECT
        t.created_at,
        CASE WHEN $metric = 'first_response' THEN t.first_response_at ELSE t.solved_at END AS done_at,
        CASE WHEN $metric = 'first_response' AND $clock = 'business' THEN t.vendor_first_reply_minutes_business
             WHEN $metric = 'first_response' THEN t.vendor_first_reply_minutes
             WHEN $clock = 'business' THEN t.vendor_full_resolution_minutes_business
             ELSE t.vendor_full_resolution_minutes END AS vendor
    FROM tickets AS t
    -- @include filter_customers_join(t.customer_id)
    WHERE t.created_at >= $start AND t.created_at < $end
  -- @include customer_filters
  -- @include channel_filter
),
timed AS (
    SELECT
        vendor,
        -- @include elapsed_minutes(created_at, done_at)
        AS ours
    FROM (SELECT * FROM base WHERE vendor IS NOT NULL AND done_at IS NOT NULL AND done_at >= created_at) AS b
    -- @include business_join(created_at, done_at)
)
SELECT
    count(*) AS tickets,
    median(ours) AS our_median_minutes,
    median(vendor) AS vendor_median_minutes,
    median(ours - vendor) AS median_difference_minutes,
    count(*) FILTER (WHERE abs(ours - vendor) <= greatest(1.0, 0.01 * vendor)) AS agreeing,
    corr(ours, vendor) AS correlation
FROM timed
