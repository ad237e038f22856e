-- The results' journey (docs/family.md); the same columns as SQLite's 0009_journey.sql.
ALTER TABLE cases ADD COLUMN result_at BIGINT;
ALTER TABLE cases ADD COLUMN closed_at BIGINT;
ALTER TABLE cases ADD COLUMN collect_reminded_at BIGINT;
-- How the family receives the results: `at_commune` or `by_post` (from the bundle, for reports).
ALTER TABLE cases ADD COLUMN delivery_method TEXT NOT NULL DEFAULT 'at_commune';
CREATE INDEX cases_waiting ON cases (closed_at, result_at);

CREATE TABLE tracking_numbers (
    number   TEXT PRIMARY KEY,
    case_id  TEXT NOT NULL REFERENCES cases (id),
    step     TEXT NOT NULL,
    at       BIGINT NOT NULL
);
CREATE INDEX tracking_numbers_case ON tracking_numbers (case_id);
