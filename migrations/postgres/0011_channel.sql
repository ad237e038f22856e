-- The channel a dossier was handed in by; the same column as SQLite's 0017_channel.sql.
ALTER TABLE cases ADD COLUMN channel TEXT NOT NULL DEFAULT 'in_person';
