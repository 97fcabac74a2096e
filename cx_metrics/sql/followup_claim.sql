-- claim follow-up $key for $actor: a row snapshotting the item (see the migration); nothing when someone holds it
INSERT INTO followups (item_key, kind, severity, source, source_id, customer_id, triggered_at, due_at, team, status,
                       claimed_by, claimed_at, version)
VALUES ($key, $kind, $severity, $source, $source_id, $customer_id, $triggered_at, $due_at, $team, 'claimed',
        $actor, $now, 1)
ON CONFLICT DO NOTHING
RETURNING version
