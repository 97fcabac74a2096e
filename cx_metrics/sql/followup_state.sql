-- the stored state of follow-up $key (no row: nobody has acted on it)
SELECT item_key, status, claimed_by, claimed_at, closed_by, closed_at, contacted_on, outcome, note, version
FROM followups
WHERE item_key = $key
