-- the cohort of customer_life row c named by $by
CASE $by
    WHEN 'plan' THEN coalesce(c.plan, '(unknown)')
    WHEN 'region' THEN coalesce(c.region, '(unknown)')
    WHEN 'segment' THEN coalesce(c.segment, '(unknown)')
    WHEN 'acquisition_channel' THEN coalesce(c.acquisition_channel, '(unknown)')
    WHEN 'signup_year' THEN coalesce(CAST(year(c.start_at) AS VARCHAR), '(unknown)')
    WHEN 'generation' THEN
        -- @include generation
    ELSE 'All customers' END
