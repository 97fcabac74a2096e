-- grain: one row per follow-up closed in [$start, $end) by its date (contacted_on), newest first: who, the outcome
-- and the note (for roles that may read notes)
SELECT f.item_key, f.kind, f.customer_id, f.team, f.triggered_at, f.due_at, f.contacted_on, f.outcome, f.note,
       f.closed_by, f.closed_at, f.version
FROM followups AS f
WHERE f.status = 'closed' AND f.contacted_on >= CAST($start AS DATE) AND f.contacted_on < CAST($end AS DATE)
ORDER BY f.contacted_on DESC, f.item_key
LIMIT $limit
