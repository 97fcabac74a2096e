-- CTEs after customer_life: each customer's index ticket among tickets created in [$start, $end).
-- failure = a complaint (the complaint rule), a resolution SLA breach (not solved within the priority's target,
-- $targets: priority -> hours) or a reopen. Handling: 'unresolved' = not solved within $unresolved_days;
-- 'slow' = solved after the target; 'fast' = solved within it. The index ticket is the customer's first ticket in
-- the window (every customer is placed by one contact, so customers with many tickets are not more likely to
-- land in a failure group). The landmark (time origin of the retention comparison) is
-- the index ticket's creation + $unresolved_days, when its handling is known; customers gone by then are counted
-- as left before the landmark.
-- Needs: CTE customer_life; $start, $end, $targets, $unresolved_days, $obs_end and the complaint rule's.
window_tickets AS (
    SELECT
        t.customer_id, t.ticket_id, t.created_at, t.solved_at,
        coalesce(t.priority, '(no priority)') AS priority,
        CAST($targets AS MAP(VARCHAR, DOUBLE))[coalesce(t.priority, '(no priority)')] AS target_hours,
        coalesce(
        -- @include complaint_rule
        , false) AS complaint,
        coalesce(t.reopens, 0) >= 1 AS reopened
    FROM tickets AS t
    JOIN customer_life AS c ON c.customer_id = t.customer_id
    WHERE t.created_at >= $start AND t.created_at < $end
),
handled AS (
    SELECT
        *,
        CASE
            WHEN solved_at IS NULL OR solved_at >= created_at + to_days(CAST($unresolved_days AS INTEGER))
                THEN 'unresolved'
            WHEN target_hours IS NOT NULL
                 AND solved_at > created_at + to_seconds(CAST(target_hours * 3600 AS BIGINT)) THEN 'slow'
            ELSE 'fast'
        END AS handling
    FROM window_tickets
),
flagged AS (
    SELECT *, complaint OR reopened OR handling <> 'fast' AS failure FROM handled
),
index_ticket AS (
    SELECT
        f.customer_id,
        arg_min(f.ticket_id, (f.created_at, f.ticket_id)) AS ticket_id,
        arg_min(f.priority, (f.created_at, f.ticket_id)) AS priority,
        arg_min(CASE WHEN f.failure THEN 'failure, ' || CASE f.handling WHEN 'fast' THEN 'resolved fast'
                     WHEN 'slow' THEN 'resolved slow' ELSE 'unresolved' END ELSE 'no failure' END,
                (f.created_at, f.ticket_id)) AS experience,
        arg_min(f.created_at, (f.created_at, f.ticket_id)) + to_days(CAST($unresolved_days AS INTEGER))
            AS landmark
    FROM flagged AS f
    GROUP BY f.customer_id
),
indexed AS (
    SELECT
        i.*, c.churned_at,
        c.churned_at IS NOT NULL AND c.churned_at < i.landmark AS left_before,
        date_diff('day', i.landmark, coalesce(c.churned_at, $obs_end)) AS days
    FROM index_ticket AS i
    JOIN customer_life AS c ON c.customer_id = i.customer_id
    WHERE i.landmark <= $obs_end
)
