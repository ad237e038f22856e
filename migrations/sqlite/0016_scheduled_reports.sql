-- The monthly report, sent once per period whatever the number of gateway processes
-- (docs/accountability.md): the process holding the lease sends it; `sent_at` ends it.
CREATE TABLE scheduled_reports (
    period       TEXT PRIMARY KEY,
    lease_until  INTEGER,
    attempts     INTEGER NOT NULL DEFAULT 0,
    sent_at      INTEGER,
    last_error   TEXT
);
