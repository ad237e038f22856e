-- The same table as SQLite's 0016_scheduled_reports.sql.
CREATE TABLE scheduled_reports (
    period       TEXT PRIMARY KEY,
    lease_until  BIGINT,
    attempts     BIGINT NOT NULL DEFAULT 0,
    sent_at      BIGINT,
    last_error   TEXT
);
