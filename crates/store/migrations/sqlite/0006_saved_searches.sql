-- v6: saved searches, shared within a team ('' = everyone). Names are unique per team.
CREATE TABLE saved_searches (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    team       TEXT NOT NULL DEFAULT '',
    name       TEXT NOT NULL,
    query      TEXT NOT NULL,
    filters    TEXT NOT NULL,
    created_by TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    UNIQUE (team, name)
);
