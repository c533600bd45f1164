"""The floor of Benchmarks/bench.py: what the work that cannot be skipped costs on this machine, so
the throughput figures can be read against what is possible, not only against nginx.

Per delivery logoutd must sign a fresh token (OUT-3) and durably record its queue row and its
attempt (IN-17, ADM-2); per logout it must verify a signature and durably record the event. This
scenario measures those pieces alone, outside logoutd:

- ECDSA P-256 signing and verification on one core (`openssl speed`, the same BoringSSL-class
  assembly swift-crypto uses);
- the SQLite statements of a delivery's life on logoutd's own schema (taken from a fresh daemon's
  database), WAL and `synchronous=FULL` as logoutd runs them: the intake's inserts (a logout alone,
  as in the ingest scenario, and with 20 deliveries; 32 logouts per commit), then claims and outcomes in rounds of 160 (lease, outcome, attempt
  row). Python's sqlite3 adds its own per-statement cost, so these figures are upper bounds of
  SQLite's share.

From them it derives an upper bound of deliveries/s and logouts/s on all CPUs, with no HTTP at
all (neither the RP's nor logoutd's side), no runtime and no load generator: no daemon built on
this design can pass it on this machine.
"""
import os
import re
import sqlite3
import subprocess
import time

from benchlib import Daemon

RPS = 20
GROUP = 32  # logouts per commit, a group commit under load


def openssl_p256():
    """(signatures/s, verifications/s) on one core."""
    run = subprocess.run(["openssl", "speed", "-seconds", "2", "ecdsap256"], capture_output=True, text=True,
                         timeout=120)
    for line in run.stdout.splitlines():
        match = re.search(r"nistp256\)\s+\S+s\s+\S+s\s+([\d.]+)\s+([\d.]+)", line)
        if match:
            return float(match.group(1)), float(match.group(2))
    raise RuntimeError("cannot read `openssl speed ecdsap256`: " + run.stdout[-300:])


def schema_of_a_fresh_daemon(bench):
    folder = bench.folder("floor-schema")
    daemon = Daemon(bench.binary, folder)
    daemon.start()
    try:
        return [row[0] for row in daemon.query(
            "SELECT sql FROM sqlite_master WHERE sql IS NOT NULL AND type IN ('table', 'index') "
            "ORDER BY type DESC")]
    finally:
        daemon.stop()


def sqlite_costs(bench, logouts):
    """CPU µs: (per logout without deliveries, per delivery at intake, per delivery's claim + outcome)."""
    schema = schema_of_a_fresh_daemon(bench)
    folder = bench.folder("floor-sqlite")
    db = sqlite3.connect(os.path.join(folder, "floor.sqlite3"), isolation_level=None)
    db.execute("PRAGMA journal_mode=WAL")
    db.execute("PRAGMA synchronous=FULL")
    for statement in schema:
        db.execute(statement)
    now = int(time.time() * 1000)

    def record_event(event, rps):
        jti = f"jti-{event:016d}"
        db.execute("INSERT INTO events (id, received_at, source, iss, sub, jti, token_hash, outcome, deliveries, "
                   "client_address) VALUES (?, ?, 'backchannel', 'https://idp.example', ?, ?, ?, 'accepted', ?, "
                   "'127.0.0.1')", (event, now, f"user-{event}", jti, "h" * 43, rps))
        db.execute("INSERT INTO replay (issuer_name, jti, token_hash, event_id, expires_at) VALUES ('es256', ?, ?, ?, ?)",
                   (jti, "h" * 43, event, now + 600_000))

    # A logout that ends no session (the ingest scenario): its event and replay rows, committed in
    # groups as logoutd's group commit does under load.
    started = time.process_time()
    for event in range(1, logouts + 1):
        if event % GROUP == 1:
            db.execute("BEGIN IMMEDIATE")
        record_event(event, 0)
        if event % GROUP == 0 or event == logouts:
            db.execute("COMMIT")
    logout = (time.process_time() - started) / logouts * 1e6
    started = time.process_time()
    for index in range(1, logouts + 1):
        event = logouts + index
        if index % GROUP == 1:
            db.execute("BEGIN IMMEDIATE")
        record_event(event, RPS)
        for rp in range(RPS):
            db.execute("INSERT INTO deliveries (event_id, client_id, sub, status, created_at, next_attempt_at) "
                       "VALUES (?, ?, ?, 'pending', ?, ?)", (event, f"rp{rp}", f"user-{event}", now, now))
        if index % GROUP == 0 or index == logouts:
            db.execute("COMMIT")
    deliveries = logouts * RPS
    intake = (time.process_time() - started) / deliveries * 1e6
    started = time.process_time()
    finished = 0
    while True:
        db.execute("BEGIN IMMEDIATE")
        leased = []
        for rp in range(RPS):
            rows = db.execute(
                "SELECT id FROM deliveries WHERE client_id = ? AND status IN ('pending', 'retrying') "
                "AND next_attempt_at <= ? ORDER BY next_attempt_at LIMIT 8", (f"rp{rp}", now)).fetchall()
            for (delivery,) in rows:
                db.execute("UPDATE deliveries SET next_attempt_at = ?, lease_until = ?, leased_at = ? WHERE id = ?",
                           (now + 30_000, now + 30_000, now, delivery))
                leased.append(delivery)
        db.execute("COMMIT")
        if not leased:
            break
        db.execute("BEGIN IMMEDIATE")
        for delivery in leased:
            db.execute("UPDATE deliveries SET status = 'delivered', attempts = 1, next_attempt_at = NULL, "
                       "lease_until = NULL, leased_at = NULL, delivered_at = ?, last_status_code = 200, "
                       "finished_at = ? WHERE id = ?", (now, now, delivery))
            db.execute("INSERT INTO attempts (delivery_id, attempt, started_at, duration_ms, status_code, jti) "
                       "VALUES (?, 1, ?, 2, 200, ?)", (delivery, now, f"jti-{delivery:016d}"))
        db.execute("COMMIT")
        finished += len(leased)
    db.close()
    if finished != deliveries:
        bench.lost.append(f"floor: {finished} of {deliveries} rows finished")
    return logout, intake, (time.process_time() - started) / deliveries * 1e6


def floor(bench):
    cpus = os.cpu_count() or 1
    sign, verify = openssl_p256()
    logout_us, intake_us, outcome_us = sqlite_costs(bench, 100 if bench.args.smoke else 2000)
    per_delivery_us = 1e6 / sign + intake_us + outcome_us
    per_logout_us = 1e6 / verify + logout_us
    return {"es256_sign_per_s_one_core": sign, "es256_verify_per_s_one_core": verify,
            "sqlite_us_per_logout": logout_us, "sqlite_intake_us_per_delivery": intake_us, "sqlite_claim_and_outcome_us_per_delivery": outcome_us,
            "fanout_bound_per_s": cpus * 1e6 / per_delivery_us,
            "ingest_bound_per_s": cpus * 1e6 / per_logout_us}
