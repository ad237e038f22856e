-- Who decided an agency leg (docs/accountability.md): `user:<login>` for a decision made in the
-- staff's inbox, `<system>:<officer>` for one reported by the agency's system with its officer's
-- identifier; NULL when the system did not say (or check-back found the decision).
ALTER TABLE legs ADD COLUMN decided_by TEXT;
