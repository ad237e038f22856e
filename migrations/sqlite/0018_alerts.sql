-- Delivery-health alerts (docs/alerts.md): one row per condition, moved by whichever gateway
-- process evaluates first (`version` makes each move happen once); the messages a move sends are
-- queued in the notifications outbox in the same transaction.
CREATE TABLE alerts (
    key          TEXT PRIMARY KEY,       -- office_down:<office> | queue:<office> | dead_legs | notify_backlog | calendar:<year>
    phase        TEXT NOT NULL,          -- quiet | pending | active | clearing
    since        INTEGER,                -- pending or active: since when the condition holds
    notified_at  INTEGER,                -- active: the start or the last reminder
    gone_since   INTEGER,                -- clearing: since when it no longer holds
    episode      INTEGER NOT NULL DEFAULT 0,
    detail       TEXT,                   -- what the last start said, for the dashboard
    version      INTEGER NOT NULL DEFAULT 0,
    updated_at   INTEGER NOT NULL
);
-- The last successful delivery to each receiving system, for "down since".
CREATE INDEX legs_office_delivered ON legs (office_code, delivered_at);
