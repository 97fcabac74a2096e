-- grain: one row: what the data holds for each metric's inputs, so a metric the data cannot support says why
-- instead of showing 0% or 100%. Three views of each input:
--   *_all: the whole table (the data has the column at all);
--   the period [$start, $end) under the shared filters (the selection has it);
--   survey responses of the period under the customer filters but any channel, and how many of them carry a
--   channel (relationship surveys carry none, so a channel filter cannot keep them).
WITH sel AS (
    SELECT
        count(*) AS tickets,
        count(t.first_response_at) AS with_first_response,
        count(t.solved_at) AS with_solved,
        count(*) FILTER (WHERE t.priority IS NOT NULL) AS with_priority
    FROM tickets AS t
    -- @include filter_customers_join(t.customer_id)
    WHERE t.created_at >= $start AND t.created_at < $end
      -- @include customer_filters
      -- @include channel_filter
),
responses AS (
    SELECT
        r.metric,
        count(*) FILTER (WHERE $all_channels OR list_contains(CAST($channels AS VARCHAR[]), r.channel)) AS kept,
        count(*) AS any_channel,
        count(r.channel) AS with_channel
    FROM survey_responses AS r
    -- @include filter_customers_join(r.customer_id)
    WHERE r.responded_at >= $start AND r.responded_at < $end
      -- @include customer_filters
    GROUP BY r.metric
),
tickets_all AS (
    SELECT count(*) AS tickets_all, count(first_response_at) AS with_first_response_all,
           count(solved_at) AS with_solved_all, count(priority) AS with_priority_all
    FROM tickets
),
responses_all AS (
    SELECT metric, count(*) AS responses_all, count(channel) AS with_channel_all
    FROM survey_responses
    GROUP BY metric
),
customers_all AS (
    SELECT count(*) AS customers_all, count(signup_at) AS with_signup_all, count(churned_at) AS with_churn_date_all
    FROM customers
)
SELECT
    sel.*, tickets_all.*, customers_all.*,
    -- per survey metric (nps, csat, ces): [kept, any channel, with a channel] in the period; [all, with a channel]
    -- in the table (NULL maps when there are none)
    (SELECT map(list(metric), list([kept, any_channel, with_channel])) FROM responses) AS responses_period,
    (SELECT map(list(metric), list([responses_all, with_channel_all])) FROM responses_all) AS responses_table
FROM sel, tickets_all, customers_all
