-- Withdrawals (docs/family.md); the same table as SQLite's 0011_withdrawals.sql.
CREATE TABLE withdrawals (
    leg_id       TEXT PRIMARY KEY REFERENCES legs (id),
    case_id      TEXT NOT NULL REFERENCES cases (id),
    reason       TEXT NOT NULL,
    status       TEXT NOT NULL,
    attempts     BIGINT NOT NULL DEFAULT 0,
    due_at       BIGINT NOT NULL,
    lease_until  BIGINT,
    last_error   TEXT,
    created_at   BIGINT NOT NULL,
    done_at      BIGINT
);
CREATE INDEX withdrawals_due ON withdrawals (status, due_at);
