-- grain: one row: the latest time the data knows about (tickets, responses, activity, churn dates), and
-- whether churn can be timed (any churn date, any start date) and the counts the definitions need.
SELECT
    greatest(
        (SELECT greatest(max(created_at), max(solved_at), max(first_response_at)) FROM tickets),
        (SELECT max(responded_at) FROM survey_responses),
        (SELECT max(occurred_at) FROM customer_activity),
        (SELECT max(churned_at) FROM customers)
    ) AS as_of,
    least(
        (SELECT min(created_at) FROM tickets),
        (SELECT min(responded_at) FROM survey_responses),
        (SELECT min(occurred_at) FROM customer_activity)
    ) AS first_at,
    (SELECT count(*) FROM customers) AS customers,
    (SELECT count(churned_at) FROM customers) AS with_churn_date,
    (SELECT count(*) FILTER (WHERE status = 'churned') FROM customers) AS flagged_churned,
    (SELECT count(signup_at) FROM customers) AS with_signup,
    (SELECT count(*) FROM customer_activity) AS activity_events,
    (SELECT count(*) FROM tickets) AS tickets
