-- grain: one row: one import's record (what an undo names before it asks)
SELECT import_id, file_name, kind, vendor, status, actor, started_at, finished_at, rows_loaded, rows_rejected,
       json_extract_string(options, '$.source') AS source
FROM imports
WHERE import_id = $import_id
