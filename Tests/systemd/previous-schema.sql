-- previous: v9
-- Turns a file of the current schema into what the previous schema left, data kept: the upgrade
-- check of scripts/systemd-check runs it (sqlite3) before the new package's first start, and
-- SchemaVersionTests proves the result is the previous schema exactly. A new migration replaces
-- this file with the undoing of itself and names the schema before it on the first line.
DROP TABLE pending_fanouts;
DROP TRIGGER relying_parties_inserted;
DROP TRIGGER relying_parties_updated;
DROP TRIGGER relying_parties_deleted;
DROP TABLE registry_version;
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
-- v14 wrote the CHECK lists as comparisons: put back as the previous schema wrote them (the
-- text of a CHECK only, as SQLite documents; this connection ends with the script).
PRAGMA writable_schema = ON;
UPDATE sqlite_master SET sql = replace(sql, '(state = ''closed'' OR state = ''open'' OR state = ''probing'')', 'state IN (''closed'', ''open'', ''probing'')') WHERE type = 'table' AND name = 'breakers';
UPDATE sqlite_master SET sql = replace(sql, '(status = ''pending'' OR status = ''retrying'' OR status = ''delivered'' OR status = ''failed'' OR status = ''skipped'')', 'status IN (''pending'', ''retrying'', ''delivered'', ''failed'', ''skipped'')') WHERE type = 'table' AND name = 'deliveries';
UPDATE sqlite_master SET sql = replace(sql, '(outcome = ''accepted'' OR outcome = ''duplicate'' OR outcome = ''rejected'' OR outcome = ''deferred'')', 'outcome IN (''accepted'', ''duplicate'', ''rejected'', ''deferred'')') WHERE type = 'table' AND name = 'events';
UPDATE sqlite_master SET sql = replace(sql, '(key_source = ''jwks_uri'' OR key_source = ''jwks'' OR key_source = ''shared_secret'')', 'key_source IN (''jwks_uri'', ''jwks'', ''shared_secret'')') WHERE type = 'table' AND name = 'issuers';
UPDATE sqlite_master SET sql = replace(sql, '(typ_policy = ''default'' OR typ_policy = ''strict'' OR typ_policy = ''legacy'')', 'typ_policy IN (''default'', ''strict'', ''legacy'')') WHERE type = 'table' AND name = 'issuers';
UPDATE sqlite_master SET sql = replace(sql, '(signing_alg = ''ES256'' OR signing_alg = ''RS256'' OR signing_alg = ''EdDSA'' OR signing_alg = ''HS256'')', 'signing_alg IN (''ES256'', ''RS256'', ''EdDSA'', ''HS256'')') WHERE type = 'table' AND name = 'relying_parties';
UPDATE sqlite_master SET sql = replace(sql, '(status = ''pending'' OR status = ''retrying'' OR status = ''revoked'' OR status = ''failed'')', 'status IN (''pending'', ''retrying'', ''revoked'', ''failed'')') WHERE type = 'table' AND name = 'revocations';
PRAGMA writable_schema = OFF;
CREATE INDEX deliveries_next ON deliveries(next_attempt_at) WHERE status IN ('pending', 'retrying');
DELETE FROM grdb_migrations WHERE identifier IN ('v10', 'v11', 'v12', 'v13', 'v14', 'v15', 'v16', 'v17');
