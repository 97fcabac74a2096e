-- minutes from {1} to {2} on the $clock: 'calendar' (wall time) or 'business' (the configured schedule; needs
-- the business_join of {1} and {2})
CASE WHEN $clock = 'business' THEN (
    -- @include business_seconds({2}, bh_end)
    -
    -- @include business_seconds({1}, bh_start)
) / 60.0 ELSE date_diff('second', {1}, {2}) / 60.0 END
