-- generation of customer c from the birth year (DESIGN.md cohorts)
CASE
    WHEN c.birth_year IS NULL THEN '(unknown)'
    WHEN c.birth_year <= 1945 THEN 'Silent'
    WHEN c.birth_year <= 1964 THEN 'Boomers'
    WHEN c.birth_year <= 1980 THEN 'Gen X'
    WHEN c.birth_year <= 1996 THEN 'Millennials'
    WHEN c.birth_year <= 2012 THEN 'Gen Z'
    ELSE 'Gen Alpha' END
