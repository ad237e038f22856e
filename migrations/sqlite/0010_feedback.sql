-- Feedback (docs/family.md): one rating per case, asked for once by SMS when the family got
-- its results (a single-use link token), or recorded by an officer from paper or the counter.
CREATE TABLE ratings (
    case_id      TEXT PRIMARY KEY REFERENCES cases (id),
    token        TEXT UNIQUE,
    issued_at    INTEGER NOT NULL,
    used_at      INTEGER,
    score        INTEGER,
    comment      TEXT,
    channel      TEXT,
    recorded_by  TEXT
);
CREATE INDEX ratings_used ON ratings (used_at);

-- Complaints and suggestions ("phản ánh, kiến nghị"), answered by the commune by a due date.
CREATE TABLE complaints (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    case_id       TEXT REFERENCES cases (id),
    commune_code  TEXT NOT NULL,
    body          TEXT NOT NULL,
    filed_at      INTEGER NOT NULL,
    due_at        INTEGER NOT NULL,
    closed_at     INTEGER,
    closed_by     TEXT,
    answer        TEXT
);
CREATE INDEX complaints_open ON complaints (commune_code, closed_at, due_at);
