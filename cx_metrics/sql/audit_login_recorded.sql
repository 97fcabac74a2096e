-- grain: one row: whether a sign-in ($actor, issuer $iss, subject $sub, ID token issued at $iat) is already in the audit
-- log, so a sign-in is logged once however many pages it opens.
SELECT count(*) > 0 AS recorded
FROM audit_log
WHERE action IN ('login', 'login_refused')
  AND actor = $actor
  AND json_extract_string(detail, '$.iss') = $iss
  AND json_extract_string(detail, '$.sub') = $sub
  AND json_extract_string(detail, '$.iat') = $iat
