-- The same tables as SQLite's 0013_supplements.sql.
CREATE TABLE supplements (
    leg_id       TEXT NOT NULL REFERENCES legs (id),
    number       BIGINT NOT NULL,
    case_id      TEXT NOT NULL REFERENCES cases (id),
    note         TEXT NOT NULL,
    actor        TEXT NOT NULL,
    received_at  BIGINT NOT NULL,
    PRIMARY KEY (leg_id, number)
);
CREATE INDEX supplements_case ON supplements (case_id);

CREATE TABLE supplement_files (
    leg_id      TEXT NOT NULL REFERENCES legs (id),
    number      BIGINT NOT NULL,
    kind        TEXT NOT NULL,
    case_id     TEXT NOT NULL REFERENCES cases (id),
    file_name   TEXT NOT NULL,
    media_type  TEXT NOT NULL,
    size        BIGINT NOT NULL,
    sha256      TEXT NOT NULL,
    purged_at   BIGINT,
    PRIMARY KEY (leg_id, number, kind)
);
CREATE INDEX supplement_files_sha ON supplement_files (sha256);
CREATE INDEX supplement_files_case ON supplement_files (case_id);
