-- PLACEHOLDER, delete at merge: this number belongs to another branch's migration. The themes branch was given
-- number 0006, and migrations must be numbered without gaps, so this no-op keeps the branch's sequence whole.
SELECT 1;
