-- v7: known claims kept in the store — rumours collaborators confirmed as misinformation (recorded
-- with the verdict) or added by hand — matched against every new item like the claims file.
-- `seq` only grows (AUTOINCREMENT never reuses a value), so COUNT(*) and MAX(seq) together change
-- whenever a claim is added or removed: processes poll them to know when to reload.
CREATE TABLE known_claims (
    seq        INTEGER PRIMARY KEY AUTOINCREMENT,
    id         TEXT NOT NULL UNIQUE,
    text       TEXT NOT NULL,
    title      TEXT,
    verdict    TEXT NOT NULL,
    severity   TEXT NOT NULL,
    route      TEXT,
    tags       TEXT NOT NULL DEFAULT '[]',
    story_id   TEXT,
    alert_id   INTEGER,
    created_by TEXT NOT NULL,
    added_at   INTEGER NOT NULL
);
CREATE INDEX known_claims_alert ON known_claims (alert_id);
CREATE INDEX known_claims_story ON known_claims (story_id);
