-- v8: the lease query takes the oldest due URLs in (due_at, url) order. With only (state, due_at)
-- indexed, every lease sorted all queued URLs (a 100,000-URL frontier made each lease O(n) and a
-- crawl quadratic); with url in the index the rows come out in order and the LIMIT stops the scan.
-- The new index serves every query the old one did, so the old one goes (one index less to update
-- per frontier write).
CREATE INDEX frontier_lease ON frontier (state, due_at, url);
DROP INDEX frontier_due;
