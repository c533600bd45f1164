#!/usr/bin/env bash
# The SSF push engine's store queries with SETs piling up for poll receivers that stopped polling
# (the outside review of issue 21 measured 285 ms per claim, inside the write lock, with the first
# query shape and an index on the due time alone): 32 poll streams holding 640,000 pending SETs and one push stream with one due SET,
# on the schema the binary itself creates. Prints SQLite's timing of each query, as the engine
# runs them (LogoutDatabase+SecurityEventQueue.swift).
#
#   Benchmarks/ssfclaim.sh [BINARY]      default .build/release/logoutd, else .build/debug/logoutd
set -euo pipefail
cd "$(dirname "$0")/.."
binary=${1:-.build/release/logoutd}
[ -x "$binary" ] || binary=.build/debug/logoutd
work=$(mktemp -d)
trap 'kill "$pid" 2>/dev/null || true; rm -rf "$work"' EXIT
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
admin=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
cat > "$work/logoutd.yaml" <<YAML
issuer: "http://127.0.0.1:$port"
public:
  listen: "127.0.0.1:$port"
admin:
  listen: "127.0.0.1:$admin"
  token_file: "admin-token"
database:
  path: "data/logoutd.sqlite3"
keys:
  dir: "keys"
YAML
(cd "$work" && exec "$OLDPWD/$binary" serve --config logoutd.yaml >logoutd.log 2>&1) &
pid=$!
for _ in $(seq 1 200); do curl -sf "http://127.0.0.1:$port/readyz" >/dev/null && break; sleep 0.05; done
kill "$pid"; wait "$pid" 2>/dev/null || true
db="$work/data/logoutd.sqlite3"
sqlite3 "$db" <<'SQL'
INSERT INTO ssf_receivers (name, token_hash, created_at) VALUES ('r', 'h', 0);
WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i < 31)
INSERT INTO ssf_streams (id, receiver, configuration, status, created_at, updated_at)
SELECT 'poll' || i, 'r', '{"delivery":{"method":"urn:ietf:rfc:8936","endpoint_url":"x"}}', 'enabled', 0, 0 FROM n;
INSERT INTO ssf_streams (id, receiver, configuration, status, created_at, updated_at)
VALUES ('push0', 'r', '{"delivery":{"method":"urn:ietf:rfc:8935","endpoint_url":"https://x"}}', 'enabled', 0, 0);
WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i < 639999)
INSERT INTO ssf_events (stream_id, jti, claims, status, created_at, next_attempt_at)
SELECT 'poll' || (i % 32), 'j' || i, '{}', 'pending', i, i FROM n;
INSERT INTO ssf_events (stream_id, jti, claims, status, created_at, next_attempt_at)
VALUES ('push0', 'p1', '{}', 'pending', 5, 5);
ANALYZE;
SQL
push="s.status = 'enabled' AND json_extract(s.configuration, '\$.delivery.method') = 'urn:ietf:rfc:8935'"
sqlite3 "$db" <<SQL
.timer on
SELECT 'streams with due pushes:', group_concat(id) FROM (SELECT s.id FROM ssf_streams s WHERE $push AND EXISTS (
  SELECT 1 FROM ssf_events e INDEXED BY ssf_events_due
  WHERE e.stream_id = s.id AND e.status = 'pending' AND e.next_attempt_at <= 9999999999) ORDER BY s.id);
SELECT 'next due:', MIN((SELECT MIN(e.next_attempt_at) FROM ssf_events e INDEXED BY ssf_events_due
  WHERE e.stream_id = s.id AND e.status = 'pending')) FROM ssf_streams s WHERE $push;
SELECT 'claimed:', e.jti FROM ssf_events e INDEXED BY ssf_events_due JOIN ssf_streams s ON s.id = e.stream_id
  WHERE e.stream_id = 'push0' AND e.status = 'pending' AND e.next_attempt_at <= 9999999999
  ORDER BY e.next_attempt_at, e.id LIMIT 4;
SELECT 'pending SETs of poll streams:', count(*) FROM ssf_events WHERE stream_id LIKE 'poll%';
SQL
