-- grain: one row per claim / close / undo of follow-up $key ('' = every item), newest first
SELECT e.event_id, e.item_key, e.occurred_at, e.actor, e.action, e.version, e.detail
FROM followup_events AS e
WHERE $key = '' OR e.item_key = $key
ORDER BY e.event_id DESC
LIMIT $limit
