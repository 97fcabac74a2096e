-- shared sidebar filter on the ticket's channel (alias t)
AND ($all_channels OR list_contains(CAST($channels AS VARCHAR[]), t.channel))
