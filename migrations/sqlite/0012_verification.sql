-- The police asked to verify the dossier (decree 63/2024): the residence leg and the case got
-- the longer budget once (docs/deadlines.md).
ALTER TABLE legs ADD COLUMN verification INTEGER NOT NULL DEFAULT 0;
