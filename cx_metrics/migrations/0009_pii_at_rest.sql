-- Personal data at rest (issue 16): a secret per database keys the e-mail hashes, so they cannot be reversed from a
-- list of candidate addresses. The work needs Python (a key from the `secrets` module, the text redaction), so it is
-- cx_metrics.pii.secure_existing, which db.migrate runs right after this file, in the same transaction: it creates
-- meta row 'pii_key', re-keys the e-mail hashes and `email:` customer ids an older database holds, redacts the raw
-- text of rejected lines and deletes answers to personal survey questions (name, phone, address) older imports kept.
SELECT 1;
