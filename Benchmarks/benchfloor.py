"""The floor of Benchmarks/bench.py: what the work that cannot be skipped costs on this machine, in
CPU per unit of work, measured natively in the same run as logoutd's figures
(Benchmarks/Floor, the `logoutd-floor` executable: the same swift-crypto, GRDB with the same
system SQLite, and SwiftNIO's HTTP/1.1 client that logoutd uses).

Per delivery logoutd must sign a fresh token (OUT-3), durably queue the delivery with its logout,
find it due, POST it on a kept-alive connection and store its outcome and attempt (IN-17, ADM-2);
per logout it must verify a signature and durably record the event. The floor measures exactly
those, with the cheapest statements that keep the durability promise (a logout on disk before its
200, with `synchronous=FULL` and a group commit; no lease rows, since one process owns the
SQLite queue; outcomes with `synchronous=NORMAL`, which can lose one only to a redelivery):

  cpu_us_per_delivery = ES256 sign + its logout's verification / 20 RPs + SQLite intake share
                        + SQLite claim and outcome + HTTP request
  cpu_us_per_logout   = ES256 verify + SQLite event and replay rows

Nothing else is counted (not the notifier's HTTP on the server side, not JSON, not a runtime):
logoutd's CPU per unit divided by these is how far it is from what is possible here.
"""
import json
import os
import subprocess

from benchlib import Daemon, Nginx

RPS = 20


def schema_of_a_fresh_daemon(bench):
    folder = bench.folder("floor-schema")
    daemon = Daemon(bench.binary, folder)
    daemon.start()
    daemon.stop()
    return daemon.db


def floor(bench):
    schema = schema_of_a_fresh_daemon(bench)
    folder = bench.folder("floor")
    nginx = Nginx(os.path.join(folder, "nginx"), 1, log=False)
    try:
        run = subprocess.run(
            [bench.args.floor_binary, "--schema-from", schema, "--work", folder,
             "--nginx", f"127.0.0.1:{nginx.ports[0]}", "--seconds", "1" if bench.args.smoke else "3",
             "--logouts", "100" if bench.args.smoke else "2000", "--rps", str(RPS)],
            capture_output=True, text=True, timeout=900)
    except subprocess.TimeoutExpired:
        run = None
    finally:
        nginx.stop()
    if run is None or run.returncode != 0:
        # Said in the report's `lost`, which fails the run, without losing the other figures.
        bench.lost.append("floor: logoutd-floor failed: "
                          + ("timed out" if run is None else (run.stderr or run.stdout)[-600:]))
        return {}
    figures = json.loads(run.stdout)
    per_delivery = (figures["es256_sign_cpu_us"] + figures["es256_verify_cpu_us"] / RPS
                    + figures["sqlite_intake_cpu_us_per_delivery"]
                    + figures["sqlite_claim_and_outcome_cpu_us_per_delivery"] + figures["http_client_cpu_us_per_request"])
    per_logout = figures["es256_verify_cpu_us"] + figures["sqlite_cpu_us_per_logout"]
    cpus = os.cpu_count() or 1
    figures.update({"cpu_us_per_delivery": per_delivery, "cpu_us_per_logout": per_logout,
                    "fanout_bound_per_s": cpus * 1e6 / per_delivery, "ingest_bound_per_s": cpus * 1e6 / per_logout})
    return figures


# What issue 24 asks of logoutd against the floor: (logoutd's figure, the floor's, the target).
RATIOS = [
    ("fanout", "daemon_cpu_us_per_delivery", "cpu_us_per_delivery", 2.0),
    ("ingest_ES256", "daemon_cpu_us_per_logout", "cpu_us_per_logout", 1.5),
]


def ratios(report_figures):
    """logoutd's CPU per unit over the floor's (medians), with the target, for every pair measured."""
    out = {}
    floor_figures = report_figures.get("floor", {})
    for scenario, ours, theirs, target in RATIOS:
        for label in ("before:", ""):
            mine = report_figures.get(label + scenario, {}).get(ours, {}).get("median")
            base = floor_figures.get(theirs, {}).get("median")
            if mine and base:
                out[f"{label}{scenario}.{ours} / floor.{theirs}"] = {"ratio": mine / base, "target": target}
    return out
