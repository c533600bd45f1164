"""The scale scenario of Benchmarks/bench.py: a registry of 1,000,000 sessions and a log of
1,000,000 delivered rows, then a backlog of 200,000 pending deliveries drained."""
import os
import sqlite3
import time

from benchlib import Daemon, Nginx, make_tokens, path_for, percentiles, post_at_rate


def bulk(db, sql, args=()):
    connection = sqlite3.connect(db, timeout=60)
    try:
        connection.execute("PRAGMA foreign_keys = ON")
        with connection:
            connection.execute(sql, args)
    finally:
        connection.close()


def scale(bench):
    smoke = bench.args.smoke
    sessions = 10_000 if smoke else 1_000_000
    delivered = 10_000 if smoke else 1_000_000
    backlog = 2_000 if smoke else 200_000
    lookups = 200 if smoke else 1_000
    folder = bench.folder("scale")
    nginx = Nginx(os.path.join(folder, "rps"), 1)
    daemon = Daemon(bench.binary, folder)
    daemon.start()
    daemon.register_issuers(bench.keys)
    daemon.admin("POST", "/admin/v1/rps", {"client_id": "rp0",
                                           "backchannel_logout_uri": f"http://127.0.0.1:{nginx.ports[0]}/bcl"})
    daemon.stop()
    now = int(time.time() * 1000)
    started = time.monotonic()
    # Sessions S-u0 … S-u(N-1) of issuer es256 at rp0; the lookup tokens name some of them.
    bulk(daemon.db, """
        WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i + 1 < ?)
        INSERT INTO sessions (issuer_name, sub, sid, client_id, rp_sub, rp_sid, created_at)
        SELECT 'es256', 'S-u' || i, 'sid-' || i, 'rp0', 'S-u' || i, NULL, ? FROM n""", (sessions, now - 3_600_000))
    # The log: one event per 10 deliveries, each delivered with its attempt.
    bulk(daemon.db, """
        WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i + 1 < ?)
        INSERT INTO events (received_at, source, iss, sub, outcome, deliveries)
        SELECT ? - 600000 + i, 'es256', 'https://es.bench', 'old-' || i, 'accepted', 10 FROM n""",
         (delivered // 10, now))
    bulk(daemon.db, """
        INSERT INTO deliveries (event_id, client_id, sub, status, attempts, created_at, delivered_at,
            last_status_code, finished_at)
        SELECT e.id, 'rp0', e.sub, 'delivered', 1, e.received_at, e.received_at + 5, 200, e.received_at + 5
        FROM events e, (WITH RECURSIVE k(j) AS (SELECT 0 UNION ALL SELECT j + 1 FROM k WHERE j < 9) SELECT j FROM k)""")
    bulk(daemon.db, """
        INSERT INTO attempts (delivery_id, attempt, started_at, duration_ms, status_code, jti)
        SELECT id, 1, created_at, 5, 200, 'jti-' || id FROM deliveries""")
    filled = time.monotonic() - started
    start_seconds = daemon.start()
    tokens = make_tokens(bench.keys, "ES256", lookups, "S", subjects=sessions)
    results = post_at_rate(daemon.url, path_for("ES256"), tokens, 100, connections=8)
    acks = [r[1] * 1000 for r in results if r and r[0] == 200]
    if len(acks) != lookups:
        bench.lost.append(f"scale: {len(acks)} of {lookups} lookups acknowledged")
    ended = daemon.query("SELECT COUNT(*) FROM sessions WHERE ended_at IS NOT NULL")[0][0]
    if ended != lookups:
        bench.lost.append(f"scale: {ended} sessions ended, {lookups} expected")
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and len(nginx.received()[0]) < lookups:
        time.sleep(0.2)
    # The lookup itself, as the intake runs it (RES-2: live sessions of a subject at an issuer),
    # on the same file through SQLite's own index, without HTTP, signature or commit around it.
    connection = sqlite3.connect(f"file:{daemon.db}?mode=ro", uri=True)
    statement = ("SELECT s.id FROM sessions s JOIN issuers i ON i.name = s.issuer_name WHERE s.issuer_name = ? "
                 "AND s.sub = ? AND s.ended_at IS NULL AND (s.expires_at IS NULL OR s.expires_at > ?)")
    query_times = []
    for index in range(0, sessions, max(1, sessions // 2000)):
        began = time.perf_counter()
        connection.execute(statement, ("es256", f"S-u{index}", now)).fetchall()
        query_times.append((time.perf_counter() - began) * 1_000_000)
    connection.close()
    query = percentiles(query_times)
    size = sum(os.path.getsize(daemon.db + suffix) for suffix in ("", "-wal") if os.path.exists(daemon.db + suffix))
    rss_loaded = daemon.rss()
    daemon.stop()

    # The backlog: an RP that was down for a while; every waiting delivery is due now.
    bulk(daemon.db, """
        INSERT INTO deliveries (event_id, client_id, sub, status, created_at, next_attempt_at)
        SELECT id, 'rp0', sub, 'pending', ?, ? FROM events ORDER BY id LIMIT ?""", (now, now, backlog))
    extra = backlog - min(backlog, delivered // 10 + lookups)
    if extra > 0:
        bulk(daemon.db, """
            WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < ?)
            INSERT INTO deliveries (event_id, client_id, sub, status, created_at, next_attempt_at)
            SELECT (SELECT MIN(id) FROM events), 'rp0', 'x' || i, 'pending', ?, ? FROM n""", (extra, now, now))
    before = len(nginx.received()[0])
    drain_start = time.time()
    daemon.start()
    samples = []
    deadline = time.monotonic() + 600
    while time.monotonic() < deadline:
        samples.append(daemon.rss())
        if len(nginx.received()[0]) - before >= backlog:
            break
        time.sleep(0.5)
    arrivals = nginx.received()[0][before:]
    drained = len(arrivals)
    if drained < backlog:
        bench.lost.append(f"scale: {drained} of {backlog} backlog deliveries arrived")
    drain_seconds = (max(arrivals) - drain_start) if arrivals else None
    daemon.stop()
    nginx.stop()
    lookup = percentiles(acks)
    mib = 1048576
    return {"sessions": sessions, "delivered_rows": delivered, "fill_s": filled, "start_s": start_seconds,
            "lookup_query_p50_us": query["p50"], "lookup_query_p99_us": query["p99"],
            "lookup_ack_p50_ms": lookup["p50"], "lookup_ack_p99_ms": lookup["p99"], "database_mib": size / mib,
            "rss_loaded_mib": rss_loaded / mib, "backlog": backlog, "backlog_drain_s": drain_seconds,
            "backlog_per_s": drained / drain_seconds if drain_seconds else None,
            "drain_rss_min_mib": min(s for s in samples if s) / mib if any(samples) else None,
            "drain_rss_max_mib": max(samples) / mib if samples else None,
            "peak_rss_mib": max(daemon.peak_rss, max(samples) if samples else 0) / mib}
