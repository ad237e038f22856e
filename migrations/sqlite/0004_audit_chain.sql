-- Tamper evidence: each event carries the hash of the previous event of its case and its own
-- hash over its content and that link, so editing or deleting a row breaks the chain.
ALTER TABLE events ADD COLUMN prev_hash TEXT;
ALTER TABLE events ADD COLUMN hash TEXT;
