-- What an import did to the rows of its main table (tickets, customers...), so re-importing the same rows from
-- another format says "0 new, 0 updated, 16,476 unchanged" instead of "16,476 loaded": rows whose key was not
-- stored, rows that changed, rows equal in every column the file brings, and rows left alone because the stored
-- version is newer (by the source's update time). NULL for imports before this migration and for surveys.
ALTER TABLE imports ADD COLUMN rows_new INTEGER;
ALTER TABLE imports ADD COLUMN rows_updated INTEGER;
ALTER TABLE imports ADD COLUMN rows_unchanged INTEGER;
ALTER TABLE imports ADD COLUMN rows_older INTEGER;
