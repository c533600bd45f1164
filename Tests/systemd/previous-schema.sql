-- previous: v8
-- Turns a file of the current schema into what the previous schema left, data kept: the upgrade
-- check of scripts/systemd-check runs it (sqlite3) before the new package's first start, and
-- SchemaVersionTests proves the result is the previous schema exactly. A new migration replaces
-- this file with the undoing of itself and names the schema before it on the first line.
ALTER TABLE attempts DROP COLUMN remote_address;
DELETE FROM grdb_migrations WHERE identifier = 'v9';
