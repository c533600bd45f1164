-- previous: v9
-- Turns a file of the current schema into what the previous schema left, data kept: the upgrade
-- check of scripts/systemd-check runs it (sqlite3) before the new package's first start, and
-- SchemaVersionTests proves the result is the previous schema exactly. A new migration replaces
-- this file with the undoing of itself and names the schema before it on the first line.
ALTER TABLE attempts DROP COLUMN trace_id;
ALTER TABLE deliveries DROP COLUMN trace_context;
ALTER TABLE events DROP COLUMN trace_context;
ALTER TABLE issuers DROP COLUMN frontchannel_intake;
DROP TABLE ssf_breakers;
DROP TABLE upstream_streams;
DROP INDEX events_ssf_waiting;
ALTER TABLE events DROP COLUMN ssf_done;
DROP TABLE ssf_events;
DROP TABLE ssf_removed_subjects;
DROP TABLE ssf_streams;
DROP TABLE ssf_receivers;
-- v14 rewrote CHECK lists as comparisons, the same checks: the previous schema keeps them.
CREATE INDEX deliveries_next ON deliveries(next_attempt_at) WHERE status IN ('pending', 'retrying');
DELETE FROM grdb_migrations WHERE identifier IN ('v10', 'v11', 'v12', 'v13', 'v14');
