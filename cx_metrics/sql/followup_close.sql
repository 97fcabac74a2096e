-- close follow-up $key, only if it is still claimed at the version the closer saw ($version): a conditional update,
-- so of two people closing one item the second changes nothing (no lost update)
UPDATE followups
SET status = 'closed', closed_by = $actor, closed_at = $now, contacted_on = $contacted_on, outcome = $outcome,
    note = $note, version = version + 1
WHERE item_key = $key AND status = 'claimed' AND version = $version
RETURNING version
