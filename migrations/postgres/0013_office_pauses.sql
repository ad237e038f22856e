-- Paused receiving systems; the same table as SQLite's 0019_office_pauses.sql.
CREATE TABLE office_pauses (
    id          BIGSERIAL PRIMARY KEY,
    office_code TEXT NOT NULL,
    reason      TEXT NOT NULL,
    paused_by   TEXT NOT NULL,
    paused_at   BIGINT NOT NULL,
    until       BIGINT,
    resumed_by  TEXT,
    resumed_at  BIGINT
);
CREATE INDEX office_pauses_open ON office_pauses (office_code, resumed_at);
