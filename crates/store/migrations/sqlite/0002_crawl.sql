-- v2: adaptive polling, link-following depth, feed hints, discovery history.
ALTER TABLE source_state ADD COLUMN interval_secs INTEGER;
ALTER TABLE frontier ADD COLUMN depth INTEGER NOT NULL DEFAULT 0;
ALTER TABLE frontier ADD COLUMN hint_title TEXT;
ALTER TABLE frontier ADD COLUMN hint_published INTEGER;
CREATE INDEX frontier_discovered ON frontier (source_id, discovered_at);
