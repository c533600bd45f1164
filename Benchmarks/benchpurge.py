"""The `purge` scenario of Benchmarks/bench.py (only when named): acknowledgement latency while
the daemon purges a backlog of expired replay records.

Every accepted logout leaves a replay record that expires minutes later, and the maintenance
task deletes the expired ones every 10 minutes, first at start: 10 minutes at 1,000 logouts a
second leave 600,000. The daemon is stopped after registering its issuers, ROWS expired records
are written into its database, and it is started again while ES256 logouts arrive at 1,000/s
for 5 s (open loop): p50/p99/max of their acknowledgements, and how many of the records the
purge had deleted by then.
"""
import os
import sqlite3
import time

from benchlib import Daemon, path_for, percentiles, post_at_rate

ROWS = 3_000_000


def purge(bench, rows=ROWS):
    folder = bench.folder("purge")
    daemon = Daemon(bench.binary, folder)
    daemon.start()
    daemon.register_issuers(bench.keys)
    daemon.stop()
    db = sqlite3.connect(daemon.db)
    expired = int(time.time() * 1000) - 60_000
    db.execute("BEGIN")
    db.executemany("INSERT INTO replay (issuer_name, jti, token_hash, event_id, expires_at) "
                   "VALUES ('expired', ?, 'h', 1, ?)", ((f"jti-{i}", expired) for i in range(rows)))
    db.execute("COMMIT")
    db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    db.close()
    tokens = bench.tokens("ES256", 1000 * (2 if bench.args.smoke else 5))
    daemon.start()
    try:
        results = post_at_rate(daemon.url, path_for("ES256"), tokens, 1000)
        left = daemon.query("SELECT COUNT(*) FROM replay WHERE issuer_name = 'expired'")[0][0]
    finally:
        daemon.stop()
    latencies = [r[1] * 1000 for r in results if r and r[0] == 200]
    if len(latencies) != len(tokens):
        bench.lost.append(f"purge: {len(tokens) - len(latencies)} of {len(tokens)} logouts not answered 200")
    out = {f"{k}_ms": v for k, v in percentiles(latencies).items()}
    out["max_ms"] = max(latencies) if latencies else None
    out["expired_rows"] = rows
    out["expired_rows_purged_meanwhile"] = rows - left
    return out
