-- The same table as SQLite's 0014_result_documents.sql.
CREATE TABLE result_documents (
    leg_id       TEXT NOT NULL REFERENCES legs (id),
    kind         TEXT NOT NULL,
    case_id      TEXT NOT NULL REFERENCES cases (id),
    file_name    TEXT NOT NULL,
    media_type   TEXT NOT NULL,
    size         BIGINT NOT NULL,
    sha256       TEXT NOT NULL,
    received_at  BIGINT NOT NULL,
    actor        TEXT NOT NULL,
    purged_at    BIGINT,
    PRIMARY KEY (leg_id, kind)
);
CREATE INDEX result_documents_sha ON result_documents (sha256);
CREATE INDEX result_documents_case ON result_documents (case_id);
