-- undo a close of follow-up $key at $version: claimed again by whoever claimed it, outcome and note cleared (the
-- event log keeps them)
UPDATE followups
SET status = 'claimed', closed_by = NULL, closed_at = NULL, contacted_on = NULL, outcome = NULL, note = NULL,
    version = version + 1
WHERE item_key = $key AND status = 'closed' AND version = $version
RETURNING version
