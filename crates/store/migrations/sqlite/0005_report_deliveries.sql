-- v5: delivery of finished report runs to receivers (e-mail, webhook, Slack, Telegram). Rows are
-- written in the transaction that finishes the run, so a crash never loses a delivery; the
-- notifier leases, sends, retries and records the outcome like alert notifications.
CREATE TABLE report_deliveries (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    run_id          INTEGER NOT NULL REFERENCES report_runs (id),
    receiver        TEXT NOT NULL,
    state           TEXT NOT NULL,
    attempts        INTEGER NOT NULL DEFAULT 0,
    next_attempt_at INTEGER NOT NULL,
    last_error      TEXT,
    created_at      INTEGER NOT NULL,
    sent_at         INTEGER
);
CREATE INDEX report_deliveries_due ON report_deliveries (state, next_attempt_at);
CREATE INDEX report_deliveries_run ON report_deliveries (run_id, id);
