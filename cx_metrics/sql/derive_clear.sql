-- forget every value a previous derivation filled from ticket_events (see derive_from_events)
UPDATE tickets SET
    first_solved_at = CASE WHEN list_contains(event_filled, 'first_solved_at') THEN NULL ELSE first_solved_at END,
    solved_at = CASE WHEN list_contains(event_filled, 'solved_at') THEN NULL ELSE solved_at END,
    closed_at = CASE WHEN list_contains(event_filled, 'closed_at') THEN NULL ELSE closed_at END,
    reopens = CASE WHEN list_contains(event_filled, 'reopens') THEN NULL ELSE reopens END,
    group_stations = CASE WHEN list_contains(event_filled, 'group_stations') THEN NULL ELSE group_stations END,
    assignee_stations = CASE WHEN list_contains(event_filled, 'assignee_stations') THEN NULL
                             ELSE assignee_stations END,
    event_filled = NULL
WHERE event_filled IS NOT NULL
