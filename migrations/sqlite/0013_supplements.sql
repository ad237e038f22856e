-- What the family brought when an agency asked for more (docs/supplements.md): one row per leg
-- and supplement, and the files uploaded against the kinds the agency asked for. The files are
-- blobs like attachments (by SHA-256, sealed at rest, purged by retention with their case).
CREATE TABLE supplements (
    leg_id       TEXT NOT NULL REFERENCES legs (id),
    number       INTEGER NOT NULL,
    case_id      TEXT NOT NULL REFERENCES cases (id),
    note         TEXT NOT NULL,
    actor        TEXT NOT NULL,
    received_at  INTEGER NOT NULL,
    PRIMARY KEY (leg_id, number)
);
CREATE INDEX supplements_case ON supplements (case_id);

CREATE TABLE supplement_files (
    leg_id      TEXT NOT NULL REFERENCES legs (id),
    number      INTEGER NOT NULL,
    kind        TEXT NOT NULL,
    case_id     TEXT NOT NULL REFERENCES cases (id),
    file_name   TEXT NOT NULL,
    media_type  TEXT NOT NULL,
    size        INTEGER NOT NULL,
    sha256      TEXT NOT NULL,
    purged_at   INTEGER,
    PRIMARY KEY (leg_id, number, kind)
);
CREATE INDEX supplement_files_sha ON supplement_files (sha256);
CREATE INDEX supplement_files_case ON supplement_files (case_id);
