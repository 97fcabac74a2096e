-- CTE customer_life: one row per customer (shared sidebar filters applied) with
--   start_at   = signup, else the first activity;
--   churned_at = under the configured definition, only when observable before $obs_end:
--                $mode 'contractual': customers.churned_at;
--                $mode 'activity': the last activity (or the signup when there was none), when nothing followed
--                for the inactivity window (the caller passes $obs_end = latest data time - N days).
customer_life AS (
    SELECT
        c.customer_id, c.plan, c.region, c.segment, c.birth_year, c.acquisition_channel,
        coalesce(c.signup_at, act.first_at) AS start_at,
        CASE
            WHEN $mode = 'activity' THEN CASE WHEN coalesce(act.last_at, c.signup_at) < $obs_end
                                              THEN coalesce(act.last_at, c.signup_at) END
            WHEN c.churned_at < $obs_end THEN c.churned_at
        END AS churned_at
    FROM customers AS c
    LEFT JOIN (
        SELECT customer_id, min(occurred_at) AS first_at, max(occurred_at) AS last_at
        FROM customer_activity
        -- contractual churn reads the activity only of customers without a signup date (it is their start)
        WHERE $mode = 'activity' OR customer_id IN (SELECT customer_id FROM customers WHERE signup_at IS NULL)
        GROUP BY customer_id
    ) AS act ON act.customer_id = c.customer_id
    -- flagged churned with no churn date (a snapshot): cannot be placed in time, so left out of timed churn
    -- (they count in the snapshot churn share), never counted as customers who stayed
    WHERE NOT ($mode = 'contractual' AND c.status = 'churned' AND c.churned_at IS NULL)
      -- @include customer_filters
)
