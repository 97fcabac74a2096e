-- undo a claim of follow-up $key at $version: the item goes back on the worklist, unclaimed
DELETE FROM followups WHERE item_key = $key AND status = 'claimed' AND version = $version
RETURNING version
