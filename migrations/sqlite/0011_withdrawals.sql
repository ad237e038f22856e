-- Withdrawals (docs/family.md): the family withdrew the dossier; each agency leg that may hold it
-- is told through its own delivery, retried with backoff like any other and dead-lettered.
CREATE TABLE withdrawals (
    leg_id       TEXT PRIMARY KEY REFERENCES legs (id),
    case_id      TEXT NOT NULL REFERENCES cases (id),
    reason       TEXT NOT NULL,
    status       TEXT NOT NULL,          -- pending | leased | done | dead
    attempts     INTEGER NOT NULL DEFAULT 0,
    due_at       INTEGER NOT NULL,
    lease_until  INTEGER,
    last_error   TEXT,
    created_at   INTEGER NOT NULL,
    done_at      INTEGER
);
CREATE INDEX withdrawals_due ON withdrawals (status, due_at);
