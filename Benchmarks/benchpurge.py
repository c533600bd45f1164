"""The `purge` scenario of Benchmarks/bench.py (only when named): acknowledgement latency while
the daemon purges a backlog of expired replay records.

Every accepted logout leaves a replay record that expires minutes later, and the maintenance
task deletes the expired ones every 10 minutes, first at start: 10 minutes at 1,000 logouts a
second leave 600,000. The daemon is stopped after registering its issuers, ROWS expired records
are written into its database, and it is started again while ES256 logouts arrive at 1,000/s
for 5 s (open loop): p50/p99/max of their acknowledgements, and how many of the records the
purge had deleted by then.

The `purge-events` scenario (also only when named) does the same with EVENTS events past the
default `database.retention` (30 days), each with PER_EVENT delivered deliveries and as many
attempts: what a month-old day at 33 logouts a second to 25 RPs leaves every 10 minutes.

The `recover` scenario (only when named) measures an admin's bulk write instead: RECOVERED
failed deliveries of one RP (an RP that accepts connections and never answers, so that the
deliveries queued again wait on it rather than load the machine) are written into the
database, and one second into the 5 s of ES256 at 1,000/s, `POST /admin/v1/deliveries/recover`
queues them all again: the acknowledgements' percentiles, and how long the recovery took.
"""
import os
import sqlite3
import threading
import time

from benchlib import Daemon, Hanging, path_for, percentiles, post_at_rate

ROWS = 3_000_000
EVENTS = 20_000
PER_EVENT = 25
RECOVERED = 100_000


def purge(bench, rows=ROWS):
    def backlog(db):
        expired = int(time.time() * 1000) - 60_000
        db.executemany("INSERT INTO replay (issuer_name, jti, token_hash, event_id, expires_at) "
                       "VALUES ('expired', ?, 'h', 1, ?)", ((f"jti-{i}", expired) for i in range(rows)))

    out, left = _while_purging(bench, "purge", backlog,
                               "SELECT COUNT(*) FROM replay WHERE issuer_name = 'expired'")
    out["expired_rows"] = rows
    out["expired_rows_purged_meanwhile"] = rows - left
    return out


def purge_events(bench, events=EVENTS, per_event=PER_EVENT):
    def backlog(db):
        old = int(time.time() * 1000) - 31 * 86_400_000
        first = (db.execute("SELECT COALESCE(MAX(id), 0) FROM events").fetchone()[0]) + 1
        ids = range(first, first + events)
        db.executemany("INSERT INTO events (id, received_at, source, outcome) VALUES (?, ?, 'old', 'accepted')",
                       ((i, old) for i in ids))
        db.executemany("INSERT INTO deliveries (id, event_id, client_id, status, created_at, attempts) "
                       "VALUES (?, ?, ?, 'delivered', ?, 1)",
                       ((i * per_event + k, i, f"rp-{k}", old) for i in ids for k in range(per_event)))
        db.executemany("INSERT INTO attempts (delivery_id, attempt, started_at, duration_ms, status_code, jti) "
                       "VALUES (?, 1, ?, 2, 200, 'j')",
                       ((i * per_event + k, old) for i in ids for k in range(per_event)))

    out, left = _while_purging(bench, "purge-events", backlog, "SELECT COUNT(*) FROM events WHERE source = 'old'")
    out["old_events"] = events
    out["rows_per_old_event"] = 1 + 2 * per_event
    out["old_events_purged_meanwhile"] = events - left
    return out


def recover(bench, rows=RECOVERED):
    hanging = Hanging(1)
    took = {}

    def registered(daemon):
        daemon.admin("POST", "/admin/v1/rps", {"client_id": "down", "subjects": "all", "issuers": ["es256"],
                                               "backchannel_logout_uri": f"http://127.0.0.1:{hanging.ports[0]}/bcl"})

    def backlog(db):
        since = int(time.time() * 1000) - 3_600_000
        first = (db.execute("SELECT COALESCE(MAX(id), 0) FROM events").fetchone()[0]) + 1
        db.executemany("INSERT INTO events (id, received_at, source, outcome) VALUES (?, ?, 'old', 'accepted')",
                       ((first + i, since) for i in range(rows // 25)))
        db.executemany("INSERT INTO deliveries (event_id, client_id, status, created_at, finished_at, reason, attempts) "
                       "VALUES (?, 'down', 'failed', ?, ?, 'refused', 5)",
                       ((first + i // 25, since, since) for i in range(rows)))

    def meanwhile(daemon):
        time.sleep(1)
        started = time.monotonic()
        answer = daemon.admin("POST", "/admin/v1/deliveries/recover",
                              {"client_id": "down", "since": "2020-01-01T00:00:00Z"})
        took["seconds"] = time.monotonic() - started
        took["queued"] = answer.get("queued") if isinstance(answer, dict) else None

    try:
        out, _ = _while_purging(bench, "recover", backlog, "SELECT 0", registered=registered, meanwhile=meanwhile)
    finally:
        hanging.stop()
    out["recovered_rows"] = rows
    out["recover_answered_queued"] = took.get("queued")
    out["recover_seconds"] = round(took["seconds"], 3) if "seconds" in took else None
    if took.get("queued") != rows:
        bench.lost.append(f"recover: {took.get('queued')} of {rows} deliveries queued again")
    return out


def _while_purging(bench, name, backlog, left_sql, registered=None, meanwhile=None):
    """Writes `backlog` into a stopped daemon's database, starts it and posts ES256 at 1,000/s
    (with `meanwhile` run beside, in a thread): the acknowledgements' percentiles, and
    `left_sql`'s count at the end."""
    daemon = Daemon(bench.binary, bench.folder(name))
    daemon.start()
    daemon.register_issuers(bench.keys)
    if registered:
        registered(daemon)
    daemon.stop()
    db = sqlite3.connect(daemon.db)
    db.execute("BEGIN")
    backlog(db)
    db.execute("COMMIT")
    db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    db.close()
    tokens = bench.tokens("ES256", 1000 * (2 if bench.args.smoke else 5))
    daemon.start()
    beside = threading.Thread(target=meanwhile, args=(daemon,)) if meanwhile else None
    try:
        if beside:
            beside.start()
        results = post_at_rate(daemon.url, path_for("ES256"), tokens, 1000)
        if beside:
            beside.join()
        left = daemon.query(left_sql)[0][0]
    finally:
        daemon.stop()
    latencies = [r[1] * 1000 for r in results if r and r[0] == 200]
    if len(latencies) != len(tokens):
        bench.lost.append(f"{name}: {len(tokens) - len(latencies)} of {len(tokens)} logouts not answered 200")
    out = {f"{k}_ms": v for k, v in percentiles(latencies).items()}
    out["max_ms"] = max(latencies) if latencies else None
    return out, left
