-- duluan schema v1 (SQLite). Times are Unix milliseconds (UTC); lists and structures are JSON text.
-- The PostgreSQL twin is migrations/postgres/0001_init.sql: keep them in step.

CREATE TABLE items (
    id              TEXT PRIMARY KEY,
    url             TEXT NOT NULL,
    canonical_url   TEXT NOT NULL,
    source_id       TEXT NOT NULL,
    source_tags     TEXT NOT NULL,
    region          TEXT,
    title           TEXT NOT NULL,
    text            TEXT NOT NULL,
    lang            TEXT NOT NULL,
    published_at    INTEGER,
    fetched_at      INTEGER NOT NULL,
    content_hash    TEXT NOT NULL,
    simhash         INTEGER NOT NULL,
    sim_b0          INTEGER NOT NULL,
    sim_b1          INTEGER NOT NULL,
    sim_b2          INTEGER NOT NULL,
    sim_b3          INTEGER NOT NULL,
    story_id        TEXT NOT NULL,
    sentiment_score REAL NOT NULL,
    sentiment_label TEXT NOT NULL,
    sentiment       TEXT NOT NULL,
    flags           TEXT NOT NULL,
    updated_at      INTEGER NOT NULL
);
CREATE INDEX items_story ON items (story_id);
CREATE INDEX items_hash ON items (content_hash);
CREATE INDEX items_b0 ON items (sim_b0);
CREATE INDEX items_b1 ON items (sim_b1);
CREATE INDEX items_b2 ON items (sim_b2);
CREATE INDEX items_b3 ON items (sim_b3);
CREATE INDEX items_published ON items (published_at);
CREATE INDEX items_fetched ON items (fetched_at);

-- Items committed to the store but not yet to the index, in commit order.
CREATE TABLE index_outbox (
    seq     INTEGER PRIMARY KEY AUTOINCREMENT,
    item_id TEXT NOT NULL
);

CREATE TABLE source_state (
    source_id       TEXT PRIMARY KEY,
    next_due_at     INTEGER NOT NULL,
    last_polled_at  INTEGER,
    last_success_at INTEGER,
    last_error      TEXT,
    error_streak    INTEGER NOT NULL DEFAULT 0,
    items_found     INTEGER NOT NULL DEFAULT 0,
    polls           INTEGER NOT NULL DEFAULT 0,
    etag            TEXT,
    last_modified   TEXT
);

-- The crawl frontier: every article URL ever discovered, its state and its outcome.
CREATE TABLE frontier (
    url           TEXT PRIMARY KEY,
    source_id     TEXT NOT NULL,
    state         TEXT NOT NULL,
    due_at        INTEGER NOT NULL,
    attempts      INTEGER NOT NULL DEFAULT 0,
    lease_owner   TEXT,
    lease_until   INTEGER,
    discovered_at INTEGER NOT NULL,
    finished_at   INTEGER,
    http_status   INTEGER,
    error         TEXT,
    item_id       TEXT
);
CREATE INDEX frontier_due ON frontier (state, due_at);
CREATE INDEX frontier_source ON frontier (source_id, state);

CREATE TABLE alerts (
    id               INTEGER PRIMARY KEY AUTOINCREMENT,
    rule_id          TEXT NOT NULL,
    story_id         TEXT NOT NULL,
    team             TEXT NOT NULL,
    severity         TEXT NOT NULL,
    state            TEXT NOT NULL,
    title            TEXT NOT NULL,
    item_count       INTEGER NOT NULL,
    created_at       INTEGER NOT NULL,
    last_seen_at     INTEGER NOT NULL,
    claimed_by       TEXT,
    lease_expires_at INTEGER,
    verdict          TEXT,
    reason           TEXT,
    note             TEXT,
    version          INTEGER NOT NULL DEFAULT 1
);
CREATE INDEX alerts_group ON alerts (rule_id, story_id);
CREATE INDEX alerts_queue ON alerts (team, state, id);

CREATE TABLE alert_items (
    alert_id INTEGER NOT NULL REFERENCES alerts (id),
    item_id  TEXT NOT NULL,
    added_at INTEGER NOT NULL,
    PRIMARY KEY (alert_id, item_id)
);

-- Append-only: the triggers below refuse edits and deletions.
CREATE TABLE audit (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    alert_id     INTEGER,
    who          TEXT NOT NULL,
    at           INTEGER NOT NULL,
    action       TEXT NOT NULL,
    before_state TEXT,
    after_state  TEXT,
    detail       TEXT
);
CREATE INDEX audit_alert ON audit (alert_id, id);
CREATE TRIGGER audit_no_update BEFORE UPDATE ON audit BEGIN SELECT RAISE(ABORT, 'audit log is append-only'); END;
CREATE TRIGGER audit_no_delete BEFORE DELETE ON audit BEGIN SELECT RAISE(ABORT, 'audit log is append-only'); END;

CREATE TABLE users (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    name          TEXT NOT NULL UNIQUE,
    password_hash TEXT NOT NULL,
    role          TEXT NOT NULL,
    team          TEXT,
    created_at    INTEGER NOT NULL,
    disabled      INTEGER NOT NULL DEFAULT 0
);

CREATE TABLE tokens (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    user_id      INTEGER NOT NULL REFERENCES users (id),
    name         TEXT NOT NULL,
    kind         TEXT NOT NULL,
    token_hash   TEXT NOT NULL UNIQUE,
    created_at   INTEGER NOT NULL,
    last_used_at INTEGER,
    revoked_at   INTEGER
);

CREATE TABLE sessions (
    id_hash    TEXT PRIMARY KEY,
    user_id    INTEGER NOT NULL REFERENCES users (id),
    csrf       TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL
);
