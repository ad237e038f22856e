-- How the family handed the dossier in (docs/accountability.md): `in_person`, `online` or
-- `by_post`, from the bundle, for the standard table's channel split. Cases stored before the
-- field existed were handed in person (their bundles say nothing else).
ALTER TABLE cases ADD COLUMN channel TEXT NOT NULL DEFAULT 'in_person';
