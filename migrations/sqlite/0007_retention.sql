-- Retention: the bytes of a finished case's attachments are purged after a configured number of
-- days; the row (kind, name, size, SHA-256) stays, with the time its bytes were purged.
ALTER TABLE attachments ADD COLUMN purged_at INTEGER;
CREATE INDEX attachments_unpurged ON attachments (case_id) WHERE purged_at IS NULL;
CREATE INDEX cases_finished ON cases (status, updated_at);
