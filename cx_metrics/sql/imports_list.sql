-- grain: one row per import, newest first
SELECT import_id, file_name, kind, vendor, rows_read, rows_loaded, rows_rejected, status, actor,
       started_at, finished_at, undone_at
FROM imports
ORDER BY import_id DESC
