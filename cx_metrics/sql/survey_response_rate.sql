-- grain: one row: tickets solved in [$start, $end) under the shared filters, those offered a satisfaction
-- survey (the export says offered or rated), and those with at least one linked survey response.
SELECT
    count(*) AS solved,
    count(*) FILTER (WHERE t.satisfaction_scale IS NOT NULL) AS offered,
    count(*) FILTER (WHERE rr.ticket_id IS NOT NULL) AS responded,
    count(*) FILTER (WHERE rr.ticket_id IS NOT NULL AND t.satisfaction_scale IS NOT NULL) AS responded_offered
FROM tickets AS t
-- @include filter_customers_join(t.customer_id)
LEFT JOIN (SELECT DISTINCT ticket_id FROM survey_responses WHERE ticket_id IS NOT NULL) AS rr
    ON rr.ticket_id = t.ticket_id
WHERE t.solved_at >= $start AND t.solved_at < $end
  -- @include customer_filters
  -- @include channel_filter
