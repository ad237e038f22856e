-- The same column as SQLite's 0012_verification.sql.
ALTER TABLE legs ADD COLUMN verification BIGINT NOT NULL DEFAULT 0;
