-- Separate theme models for ticket text and survey comments (issue 7): comments landed in ticket themes that share
-- words, which made the NPS/CSAT impact rows misleading. Each fit and each theme now belongs to one corpus:
-- 'tickets' (ticket subject + description) or 'comments' (survey comments). Fits and themes made before this
-- migration read both and are marked 'all'; the next fit of either corpus can claim (match) them, names included.
ALTER TABLE theme_fits ADD COLUMN corpus VARCHAR DEFAULT 'all';
ALTER TABLE themes ADD COLUMN corpus VARCHAR DEFAULT 'all';
