-- Deadlines, notifications and apology letters. Days are ISO dates (YYYY-MM-DD, Vietnam time);
-- instants are milliseconds since the Unix epoch, UTC.

-- The regime a case was received under, as a JSON snapshot that later config changes never touch.
ALTER TABLE cases ADD COLUMN regime TEXT;
ALTER TABLE cases ADD COLUMN regime_json TEXT;
ALTER TABLE cases ADD COLUMN verification INTEGER NOT NULL DEFAULT 0;
ALTER TABLE cases ADD COLUMN receipt_day TEXT;
-- The legal deadline: reports compare completion with it.
ALTER TABLE cases ADD COLUMN due_day TEXT;
ALTER TABLE cases ADD COLUMN due_at INTEGER;
ALTER TABLE cases ADD COLUMN at_risk_at INTEGER;
-- The date the family was given; an apology letter moves it, the legal deadline stays.
ALTER TABLE cases ADD COLUMN appointment_day TEXT;
ALTER TABLE cases ADD COLUMN calendar_missing INTEGER NOT NULL DEFAULT 0;
-- The last clock state the sweeper acted on; moved forward only by a conditional update, so each
-- transition is acted on exactly once whatever the number of sweepers.
ALTER TABLE cases ADD COLUMN clock_acted TEXT NOT NULL DEFAULT 'on_track';
CREATE INDEX cases_clock ON cases (status, clock_acted, at_risk_at);
CREATE INDEX cases_received ON cases (received_at);

ALTER TABLE legs ADD COLUMN due_day TEXT;
ALTER TABLE legs ADD COLUMN due_at INTEGER;
ALTER TABLE legs ADD COLUMN at_risk_at INTEGER;
ALTER TABLE legs ADD COLUMN clock_acted TEXT NOT NULL DEFAULT 'on_track';
-- A leg waiting on the family: what was left of its clocks, and when the family's window ends.
ALTER TABLE legs ADD COLUMN paused_at INTEGER;
ALTER TABLE legs ADD COLUMN leg_days_left INTEGER;
ALTER TABLE legs ADD COLUMN case_days_left INTEGER;
ALTER TABLE legs ADD COLUMN window_ends_at INTEGER;
ALTER TABLE legs ADD COLUMN window_acted INTEGER NOT NULL DEFAULT 0;
CREATE INDEX legs_clock ON legs (state, clock_acted, at_risk_at);

-- What kind of fact an event records: a state change (`state`), a clock transition (`clock`),
-- an apology letter (`apology`) or a supplement (`supplement`).
ALTER TABLE events ADD COLUMN kind TEXT NOT NULL DEFAULT 'state';

-- The apology letter for a case that went overdue ("phiếu xin lỗi và hẹn lại ngày trả kết quả").
CREATE TABLE apologies (
    case_id        TEXT PRIMARY KEY REFERENCES cases (id),
    created_at     INTEGER NOT NULL,
    reason         TEXT NOT NULL,
    original_day   TEXT NOT NULL,
    proposed_day   TEXT NOT NULL,
    status         TEXT NOT NULL,          -- draft | confirmed
    confirmed_day  TEXT,
    confirmed_by   TEXT,
    confirmed_at   INTEGER
);

-- Messages to families, offices and administrators: an outbox with its delivery record.
CREATE TABLE notifications (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    case_id      TEXT REFERENCES cases (id),
    kind         TEXT NOT NULL,            -- received | supplement | resumed | result | rejected | late | warning
    channel      TEXT NOT NULL,            -- sms | email
    recipient    TEXT NOT NULL,
    subject      TEXT,
    body         TEXT NOT NULL,
    dedupe_key   TEXT NOT NULL UNIQUE,
    status       TEXT NOT NULL,            -- pending | leased | sent | failed
    attempts     INTEGER NOT NULL DEFAULT 0,
    due_at       INTEGER NOT NULL,
    lease_until  INTEGER,
    last_error   TEXT,
    created_at   INTEGER NOT NULL,
    sent_at      INTEGER
);
CREATE INDEX notifications_due ON notifications (status, due_at);
CREATE INDEX notifications_case ON notifications (case_id, id);

-- How far a background reader of the event trail has got.
CREATE TABLE cursors (
    name      TEXT PRIMARY KEY,
    position  INTEGER NOT NULL
);
