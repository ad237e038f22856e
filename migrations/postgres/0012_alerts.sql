-- Delivery-health alerts; the same table as SQLite's 0018_alerts.sql.
CREATE TABLE alerts (
    key          TEXT PRIMARY KEY,
    phase        TEXT NOT NULL,
    since        BIGINT,
    notified_at  BIGINT,
    gone_since   BIGINT,
    episode      BIGINT NOT NULL DEFAULT 0,
    detail       TEXT,
    version      BIGINT NOT NULL DEFAULT 0,
    updated_at   BIGINT NOT NULL
);
CREATE INDEX legs_office_delivered ON legs (office_code, delivered_at);
