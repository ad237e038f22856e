-- The results' journey (docs/family.md): when the result reached the commune, when the family
-- got it (the case is closed then), and whether the one reminder to collect it was sent.
ALTER TABLE cases ADD COLUMN result_at INTEGER;
ALTER TABLE cases ADD COLUMN closed_at INTEGER;
ALTER TABLE cases ADD COLUMN collect_reminded_at INTEGER;
-- How the family receives the results: `at_commune` or `by_post` (from the bundle, for reports).
ALTER TABLE cases ADD COLUMN delivery_method TEXT NOT NULL DEFAULT 'at_commune';
CREATE INDEX cases_waiting ON cases (closed_at, result_at);

-- Tracking numbers of cards and postal items, so a postal partner's report finds its case.
CREATE TABLE tracking_numbers (
    number   TEXT PRIMARY KEY,
    case_id  TEXT NOT NULL REFERENCES cases (id),
    step     TEXT NOT NULL,
    at       INTEGER NOT NULL
);
CREATE INDEX tracking_numbers_case ON tracking_numbers (case_id);
