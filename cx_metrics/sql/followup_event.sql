-- append one action on a follow-up to its history
INSERT INTO followup_events (item_key, occurred_at, actor, action, version, detail)
VALUES ($key, $now, $actor, $action, $version, $detail)
