-- Deliveries to a receiving system paused by an administrator (docs/operations.md, "Pausing a
-- receiving system"): who, why, until when, and who resumed. Rows are never deleted: they are
-- the record of every pause.
CREATE TABLE office_pauses (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    office_code TEXT NOT NULL,
    reason      TEXT NOT NULL,
    paused_by   TEXT NOT NULL,
    paused_at   INTEGER NOT NULL,
    until       INTEGER,
    resumed_by  TEXT,
    resumed_at  INTEGER
);
CREATE INDEX office_pauses_open ON office_pauses (office_code, resumed_at);
