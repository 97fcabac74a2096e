-- grain: one row per item on the follow-up worklist: a customer failed in [$since, $as_of) (see the items fragment)
-- whose follow-up nobody has closed yet (open, or claimed by someone), who was still a customer when failed;
-- with what is at stake: plan, tenure at $as_of, and the customer's tickets in the 90 days up to the failure.
-- $key = '' lists them all; a key gives that item alone, whatever its age or state (a claim reads it).
WITH
-- @include followup_items
SELECT
    i.item_key, i.kind, i.severity, i.why, i.verbatim, i.customer_id, i.triggered_at, i.due_at, i.team, i.assignee,
    i.source, i.source_id,
    coalesce(f.status, 'open') AS status, f.claimed_by, f.claimed_at, coalesce(f.version, 0) AS version,
    c.plan,
    date_diff('day', c.signup_at, CAST($as_of AS TIMESTAMP)) AS tenure_days,
    coalesce(h.contacts_90d, 0) AS contacts_90d,
    coalesce(h.complaints_90d, 0) AS complaints_90d
FROM items AS i
LEFT JOIN followups AS f ON f.item_key = i.item_key
LEFT JOIN customers AS c ON c.customer_id = i.customer_id
LEFT JOIN LATERAL (
    SELECT count(*) AS contacts_90d, count(*) FILTER (WHERE t.is_complaint) AS complaints_90d
    FROM tickets AS t
    WHERE t.customer_id = i.customer_id
      AND t.created_at > i.triggered_at - INTERVAL 90 DAY AND t.created_at <= i.triggered_at
) AS h ON true
WHERE CASE WHEN $key = '' THEN i.triggered_at >= $since AND (f.status IS NULL OR f.status = 'claimed')
                               AND (c.churned_at IS NULL OR c.churned_at > i.triggered_at)
           ELSE i.item_key = $key END
  -- @include customer_filters
ORDER BY i.due_at, i.item_key
