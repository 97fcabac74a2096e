-- the group of ticket t / customer c named by $by for resolution metrics (anything else: all tickets)
CASE $by
WHEN 'channel' THEN coalesce(t.channel, '(no channel)')
WHEN 'priority' THEN coalesce(t.priority, '(no priority)')
WHEN 'group' THEN coalesce(t.group_name, '(no group)')
WHEN 'category' THEN coalesce(t.category, '(no category)')
WHEN 'plan' THEN coalesce(c.plan, '(unknown)')
WHEN 'region' THEN coalesce(c.region, '(unknown)')
WHEN 'segment' THEN coalesce(c.segment, '(unknown)')
WHEN 'handoffs' THEN CASE WHEN t.group_stations IS NULL THEN '(unknown)'
    WHEN t.group_stations <= 1 THEN '0 handoffs' WHEN t.group_stations = 2 THEN '1 handoff'
    ELSE '2+ handoffs' END
WHEN 'created_week' THEN strftime(date_trunc('week', t.created_at), '%Y-%m-%d')
WHEN 'created_month' THEN strftime(date_trunc('month', t.created_at), '%Y-%m-%d')
ELSE 'All tickets' END
