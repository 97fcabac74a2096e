-- grain: one row per rejected line of one import, in file order
SELECT line_number, field, reason, raw_text
FROM import_rejects
WHERE import_id = $import_id
ORDER BY line_number NULLS LAST
