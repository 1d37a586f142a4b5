-- v4: scheduled report runs and their outputs. One run per (schedule, due time): the unique key
-- is what stops a report from running twice, also when the server restarts mid-catch-up.
CREATE TABLE report_runs (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    schedule_id  TEXT NOT NULL,
    due_at       INTEGER NOT NULL,
    label        TEXT NOT NULL,
    period_from  TEXT NOT NULL,
    period_to    TEXT NOT NULL,
    status       TEXT NOT NULL,
    error        TEXT,
    items        INTEGER,
    started_at   INTEGER NOT NULL,
    finished_at  INTEGER,
    UNIQUE (schedule_id, due_at)
);
CREATE INDEX report_runs_recent ON report_runs (id DESC);

CREATE TABLE report_files (
    run_id  INTEGER NOT NULL REFERENCES report_runs (id),
    format  TEXT NOT NULL,
    content TEXT NOT NULL,
    PRIMARY KEY (run_id, format)
);
