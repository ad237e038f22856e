-- People who sign in to the web pages, their sessions, and the indexes the pages need.

CREATE TABLE users (
    id             TEXT PRIMARY KEY,
    login          TEXT NOT NULL UNIQUE,
    display_name   TEXT NOT NULL,
    password_hash  TEXT NOT NULL,          -- argon2id, PHC string
    role           TEXT NOT NULL,          -- commune_officer | insurance_staff | police_staff | admin
    scopes         TEXT NOT NULL,          -- JSON array: commune codes or office codes
    created_at     INTEGER NOT NULL,
    disabled       INTEGER NOT NULL DEFAULT 0
);

-- A session cookie is a random token; only its SHA-256 is stored.
CREATE TABLE sessions (
    token_sha256  TEXT PRIMARY KEY,
    user_id       TEXT NOT NULL REFERENCES users (id),
    csrf          TEXT NOT NULL,
    created_at    INTEGER NOT NULL,
    expires_at    INTEGER NOT NULL
);
CREATE INDEX sessions_expiry ON sessions (expires_at);
CREATE INDEX legs_office_state ON legs (office_code, state);

-- Pages on a big store: running cases filtered by commune and clock without touching the rows
-- (bundles make them large), and the dashboard's delivery rate.
CREATE INDEX cases_running ON cases (status, commune_code, at_risk_at, due_at, created_at);
CREATE INDEX legs_delivered ON legs (delivered_at);
