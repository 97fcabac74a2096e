-- the cohort of customer c named by $by (plan, region, segment, generation); NULL for ticket dimensions
CASE WHEN $by IN ('plan', 'region', 'segment', 'generation') THEN CASE $by
    WHEN 'category' THEN coalesce(NULL, '(no category)')
    WHEN 'channel' THEN coalesce(NULL, '(no channel)')
    WHEN 'priority' THEN coalesce(NULL, '(no priority)')
    WHEN 'group' THEN coalesce(NULL, '(no group)')
    WHEN 'ticket_type' THEN coalesce(NULL, '(no type)')
    WHEN 'plan' THEN coalesce(c.plan, '(unknown)')
    WHEN 'region' THEN coalesce(c.region, '(unknown)')
    WHEN 'segment' THEN coalesce(c.segment, '(unknown)')
    WHEN 'generation' THEN
        -- @include generation
    ELSE 'All complaints' END ELSE NULL END
