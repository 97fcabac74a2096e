-- the breakdown value of ticket t / customer c named by $by (anything else: all complaints)
CASE $by
    WHEN 'category' THEN coalesce(t.category, '(no category)')
    WHEN 'channel' THEN coalesce(t.channel, '(no channel)')
    WHEN 'priority' THEN coalesce(t.priority, '(no priority)')
    WHEN 'group' THEN coalesce(t.group_name, '(no group)')
    WHEN 'ticket_type' THEN coalesce(t.ticket_type, '(no type)')
    WHEN 'plan' THEN coalesce(c.plan, '(unknown)')
    WHEN 'region' THEN coalesce(c.region, '(unknown)')
    WHEN 'segment' THEN coalesce(c.segment, '(unknown)')
    WHEN 'generation' THEN
        -- @include generation
    ELSE 'All complaints' END
