-- What an import did to the rows of its main table (tickets, customers...), so re-importing the same rows from
-- another format says "0 new, 0 updated, 16,476 unchanged" instead of "16,476 loaded": rows whose key was not
-- stored, rows that changed, rows equal in every column the file brings, and rows left alone because the stored
-- version is newer (by the source's update time). NULL for imports before this migration and for surveys.
-- (IF NOT EXISTS: a test replays the migrations after pii_at_rest on a database that has these columns already.)
ALTER TABLE imports ADD COLUMN IF NOT EXISTS rows_new INTEGER;
ALTER TABLE imports ADD COLUMN IF NOT EXISTS rows_updated INTEGER;
ALTER TABLE imports ADD COLUMN IF NOT EXISTS rows_unchanged INTEGER;
ALTER TABLE imports ADD COLUMN IF NOT EXISTS rows_older INTEGER;
