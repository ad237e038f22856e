-- Documents an agency issued with its decision (docs/result-documents.md): one per leg and kind,
-- written in the decision's transaction; blobs like attachments (by SHA-256, sealed at rest,
-- purged by retention with their case), carried back to the commune by the return leg.
CREATE TABLE result_documents (
    leg_id       TEXT NOT NULL REFERENCES legs (id),
    kind         TEXT NOT NULL,
    case_id      TEXT NOT NULL REFERENCES cases (id),
    file_name    TEXT NOT NULL,
    media_type   TEXT NOT NULL,
    size         INTEGER NOT NULL,
    sha256       TEXT NOT NULL,
    received_at  INTEGER NOT NULL,
    actor        TEXT NOT NULL,
    purged_at    INTEGER,
    PRIMARY KEY (leg_id, kind)
);
CREATE INDEX result_documents_sha ON result_documents (sha256);
CREATE INDEX result_documents_case ON result_documents (case_id);
