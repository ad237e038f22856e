-- The same column as SQLite's 0015_decided_by.sql.
ALTER TABLE legs ADD COLUMN decided_by TEXT;
