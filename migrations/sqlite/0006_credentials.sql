-- Agency bearer tokens, kept only as SHA-256 digests; several per system so one can be rotated
-- with overlap. A revoked row stays (who had which token, and when it ended, is evidence).
CREATE TABLE api_tokens (
    id            TEXT PRIMARY KEY,        -- 'tk-' and the first 12 hex digits of the digest
    system_id     TEXT NOT NULL,
    token_sha256  TEXT NOT NULL UNIQUE,
    label         TEXT NOT NULL,
    created_at    INTEGER NOT NULL,
    revoked_at    INTEGER
);

-- Signatures of callbacks already accepted: a replay is refused even after a restart. Rows older
-- than twice the freshness window are deleted as new ones arrive.
CREATE TABLE seen_signatures (
    signature  TEXT PRIMARY KEY,
    seen_at    INTEGER NOT NULL
);
CREATE INDEX seen_signatures_age ON seen_signatures (seen_at);
