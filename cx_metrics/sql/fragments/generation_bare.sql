-- generation from a bare birth_year column (DESIGN.md cohorts; same cut-offs as generation.sql)
CASE
    WHEN birth_year IS NULL THEN '(unknown)'
    WHEN birth_year <= 1945 THEN 'Silent'
    WHEN birth_year <= 1964 THEN 'Boomers'
    WHEN birth_year <= 1980 THEN 'Gen X'
    WHEN birth_year <= 1996 THEN 'Millennials'
    WHEN birth_year <= 2012 THEN 'Gen Z'
    ELSE 'Gen Alpha' END
