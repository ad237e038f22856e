-- Check-back (docs/reconciliation.md): a leg delivered but undecided is asked about at its
-- agency, from `check_from` (when it was last delivered) on, then again with backoff.
ALTER TABLE legs ADD COLUMN check_from INTEGER;
-- When the next check is due; while a gateway process checks, its lease (a conditional update
-- claims it, so several processes never check one leg at once).
ALTER TABLE legs ADD COLUMN check_due_at INTEGER;
ALTER TABLE legs ADD COLUMN check_count INTEGER NOT NULL DEFAULT 0;
ALTER TABLE legs ADD COLUMN checked_at INTEGER;
-- What the last check found: `pending` (no decision yet), `recovered`, `unreachable`, `refused`
-- (the decision read back failed validation or conflicts), and a short detail.
ALTER TABLE legs ADD COLUMN check_outcome TEXT;
ALTER TABLE legs ADD COLUMN check_detail TEXT;
CREATE INDEX legs_check ON legs (state, check_due_at);

-- Every check made, for the case page and the dashboard's figures.
CREATE TABLE check_backs (
    id       INTEGER PRIMARY KEY AUTOINCREMENT,
    leg_id   TEXT NOT NULL REFERENCES legs (id),
    at       INTEGER NOT NULL,
    outcome  TEXT NOT NULL,
    detail   TEXT
);
CREATE INDEX check_backs_leg ON check_backs (leg_id, id);
CREATE INDEX check_backs_at ON check_backs (at);
