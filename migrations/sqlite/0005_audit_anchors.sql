-- A daily anchor over every case's chain: the hash of all chain heads as of the last event of a
-- day, so removing the LAST events of a case is detected too.
CREATE TABLE audit_anchors (
    day            TEXT PRIMARY KEY,       -- YYYY-MM-DD, Vietnam time
    last_event_id  INTEGER NOT NULL,
    heads_sha256   TEXT NOT NULL,
    created_at     INTEGER NOT NULL
);
CREATE TRIGGER audit_anchors_no_update BEFORE UPDATE ON audit_anchors
BEGIN SELECT RAISE(ABORT, 'anchors are append-only'); END;
CREATE TRIGGER audit_anchors_no_delete BEFORE DELETE ON audit_anchors
BEGIN SELECT RAISE(ABORT, 'anchors are append-only'); END;
