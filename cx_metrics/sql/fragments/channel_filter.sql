-- shared sidebar filter on the ticket's channel (alias t)
-- Needs: alias t (tickets); $all_channels, $channels (Filters.params()).
AND ($all_channels OR list_contains(CAST($channels AS VARCHAR[]), t.channel))
