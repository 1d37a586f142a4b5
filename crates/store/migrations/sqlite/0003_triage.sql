-- v3: triage depth: priorities, labels for silences and routing, SLA timestamps, silences,
-- and the durable notification outbox.
ALTER TABLE alerts ADD COLUMN priority INTEGER NOT NULL DEFAULT 0;
ALTER TABLE alerts ADD COLUMN labels TEXT NOT NULL DEFAULT '{}';
ALTER TABLE alerts ADD COLUMN silence_id INTEGER;
ALTER TABLE alerts ADD COLUMN first_claimed_at INTEGER;
ALTER TABLE alerts ADD COLUMN decided_at INTEGER;
ALTER TABLE alerts ADD COLUMN notified_at INTEGER;
ALTER TABLE alerts ADD COLUMN overdue_notified INTEGER NOT NULL DEFAULT 0;

CREATE TABLE silences (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    matchers    TEXT NOT NULL,
    starts_at   INTEGER NOT NULL,
    ends_at     INTEGER NOT NULL,
    quiet_hours INTEGER,
    creator     TEXT NOT NULL,
    reason      TEXT NOT NULL,
    created_at  INTEGER NOT NULL,
    expired_at  INTEGER
);

-- Every notification an alert asks for, written in the transaction that raises or joins it, so
-- a crash never loses one; the notifier delivers, retries and records give-ups here.
CREATE TABLE notifications (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    alert_id        INTEGER NOT NULL REFERENCES alerts (id),
    receiver        TEXT NOT NULL,
    event           TEXT NOT NULL,
    state           TEXT NOT NULL,
    attempts        INTEGER NOT NULL DEFAULT 0,
    next_attempt_at INTEGER NOT NULL,
    last_error      TEXT,
    created_at      INTEGER NOT NULL,
    sent_at         INTEGER
);
CREATE INDEX notifications_due ON notifications (state, next_attempt_at);
CREATE INDEX notifications_receiver ON notifications (receiver, state);
