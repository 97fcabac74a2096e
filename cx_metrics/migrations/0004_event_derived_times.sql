-- Times and counts derived from a ticket's status/assignment history (ticket_events) where the ticket export
-- itself has none (Zendesk API/Fivetran tickets carry no solved time). event_filled lists the columns that were
-- filled that way, so re-deriving after another import or an undo can clear exactly those and never touches a
-- value the export supplied.
ALTER TABLE tickets ADD COLUMN event_filled VARCHAR[];

-- tickets_replaced mirrors tickets' columns in order, then replaced_by
CREATE TABLE tickets_replaced_v4 AS
    SELECT * EXCLUDE (replaced_by), CAST(NULL AS VARCHAR[]) AS event_filled, replaced_by FROM tickets_replaced;
DROP TABLE tickets_replaced;
ALTER TABLE tickets_replaced_v4 RENAME TO tickets_replaced;
