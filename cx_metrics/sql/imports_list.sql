-- grain: one row per import, newest first
SELECT import_id, file_name, kind, vendor, rows_read, rows_loaded, rows_new, rows_updated, rows_unchanged,
       rows_older, rows_rejected, status, actor,
       started_at, finished_at, undone_at
FROM imports
ORDER BY import_id DESC
