-- Password resets an administrator issued (docs/operations.md, "Roles"): the one-time link's
-- token is stored only as its SHA-256; `used_at` set means it worked once and never again.
CREATE TABLE password_resets (
    token_sha256  TEXT PRIMARY KEY,
    user_id       TEXT NOT NULL REFERENCES users (id),
    issued_by     TEXT NOT NULL,
    issued_at     INTEGER NOT NULL,
    expires_at    INTEGER NOT NULL,
    used_at       INTEGER
);

-- Every change to a user account, by whom: the record an auditor reads. Rows are never
-- changed or deleted.
CREATE TABLE user_changes (
    id       INTEGER PRIMARY KEY AUTOINCREMENT,
    user_id  TEXT NOT NULL REFERENCES users (id),
    at       INTEGER NOT NULL,
    actor    TEXT NOT NULL,
    change   TEXT NOT NULL            -- created | rescoped | password_changed | reset_issued | reset_used | disabled | enabled
);
CREATE INDEX user_changes_user ON user_changes (user_id, id);
CREATE TRIGGER user_changes_append_only_update BEFORE UPDATE ON user_changes
BEGIN SELECT RAISE(ABORT, 'user_changes is append-only'); END;
CREATE TRIGGER user_changes_append_only_delete BEFORE DELETE ON user_changes
BEGIN SELECT RAISE(ABORT, 'user_changes is append-only'); END;
