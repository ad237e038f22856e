-- lienthong store, SQLite. Instants are milliseconds since the Unix epoch, UTC.

CREATE TABLE cases (
    id              TEXT PRIMARY KEY,
    source          TEXT NOT NULL,
    receipt_code    TEXT NOT NULL,
    commune_code    TEXT NOT NULL,
    status          TEXT NOT NULL,
    received_at     INTEGER NOT NULL,
    content_sha256  TEXT NOT NULL,
    bundle          TEXT NOT NULL,
    created_at      INTEGER NOT NULL,
    updated_at      INTEGER NOT NULL,
    UNIQUE (source, receipt_code)
);
CREATE INDEX cases_commune_created ON cases (commune_code, created_at);
CREATE INDEX cases_receipt ON cases (receipt_code);

CREATE TABLE attachments (
    case_id     TEXT NOT NULL REFERENCES cases (id),
    kind        TEXT NOT NULL,
    file_name   TEXT NOT NULL,
    media_type  TEXT NOT NULL,
    size        INTEGER NOT NULL,
    sha256      TEXT NOT NULL,
    PRIMARY KEY (case_id, kind)
);
CREATE INDEX attachments_sha ON attachments (sha256);

CREATE TABLE legs (
    id            TEXT PRIMARY KEY,
    case_id       TEXT NOT NULL REFERENCES cases (id),
    name          TEXT NOT NULL,
    state         TEXT NOT NULL,
    office_code   TEXT NOT NULL,
    endpoint      TEXT NOT NULL,
    attempts      INTEGER NOT NULL DEFAULT 0,
    last_error    TEXT,
    delivered_at  INTEGER,
    completed_at  INTEGER,
    result        TEXT,
    updated_at    INTEGER NOT NULL,
    UNIQUE (case_id, name)
);
CREATE INDEX legs_state ON legs (state);

-- The outbox: one row per leg that has something to deliver. The leg id is the idempotency key.
CREATE TABLE deliveries (
    leg_id             TEXT PRIMARY KEY REFERENCES legs (id),
    status             TEXT NOT NULL,          -- pending | leased | done | dead
    due_at             INTEGER NOT NULL,
    lease_until        INTEGER,
    policy_attempts    INTEGER NOT NULL DEFAULT 0,
    policy_started_at  INTEGER,
    envelope_accepted  INTEGER NOT NULL DEFAULT 0,
    created_at         INTEGER NOT NULL,
    updated_at         INTEGER NOT NULL
);
CREATE INDEX deliveries_due ON deliveries (status, due_at);

CREATE TABLE delivery_attempts (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    leg_id        TEXT NOT NULL REFERENCES legs (id),
    number        INTEGER NOT NULL,
    started_at    INTEGER NOT NULL,
    finished_at   INTEGER NOT NULL,
    outcome       TEXT NOT NULL,               -- delivered | retry | dead
    files_resent  INTEGER NOT NULL DEFAULT 0,
    error         TEXT
);
CREATE INDEX delivery_attempts_leg ON delivery_attempts (leg_id, id);

-- Append-only audit trail: every state change of a case or a leg.
CREATE TABLE events (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    case_id     TEXT NOT NULL REFERENCES cases (id),
    leg_id      TEXT,
    at          INTEGER NOT NULL,
    actor       TEXT NOT NULL,
    from_state  TEXT,
    to_state    TEXT NOT NULL,
    reason      TEXT
);
CREATE INDEX events_case ON events (case_id, id);
CREATE TRIGGER events_no_update BEFORE UPDATE ON events
BEGIN SELECT RAISE(ABORT, 'events are append-only'); END;
CREATE TRIGGER events_no_delete BEFORE DELETE ON events
BEGIN SELECT RAISE(ABORT, 'events are append-only'); END;
