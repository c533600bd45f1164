#!/usr/bin/env python3
"""logoutd's benchmark against this machine's own limits (run through Benchmarks/run).

Every figure is measured on loopback with the release build, each scenario on a fresh daemon and
database, at least three times (min / median / max), and throughput figures carry their ratio to
the ceiling measured in the same run: wrk posting a token-sized form to nginx `return 200`.

  ceiling     wrk -> nginx return 200, token-sized POST; and the fixed-rate generator against nginx
  floor       natively (Benchmarks/Floor): ES256 sign/verify on every core, the cheapest SQLite
              statements that keep the durability promise on logoutd's schema, and one kept-alive
              HTTP/1.1 request to nginx: CPU per delivery and per logout at the floor, and
              logoutd's ratio to it (issue 24's targets: 2x per delivery, 1.5x per ES256 logout)
  ingest      distinct ES256, RS256 and HS256 tokens, never repeated: accepted/s (counted in the
              database: acknowledged and committed) and wrk's p50/p99/p99.9 at saturation; and
              ES256 at a fixed 1,000/s (open loop, latency from the scheduled send time)
  fanout      20 RPs on 20 nginx ports following every subject; a burst of logouts; deliveries
              counted in the RPs' access logs, from the first acknowledgement to the last arrival;
              acknowledgement-to-arrival latency per delivery
  isolation   the same RPs plus 5 that accept and never answer, at a steady 100 logouts/s:
              acknowledgement latency and the healthy RPs' delivery latency, with and without them
  scale       1,000,000 sessions and 1,000,000 delivered rows: start time, lookup (acknowledgement
              of a logout ending one of them), database size, RSS; a backlog of 200,000 pending
              deliveries drained, RSS sampled while it drains
  peer        idpyoidc's own back-channel logout (do_verified_logout) in the isolation scenario
  latency     ES256 at a fixed 1,000/s alone, and again with 25 RPs following every subject, 5 of
              them hanging (the delivery engine saturated meanwhile): acknowledgement p50/p99/p99.9;
              and with all 25 hanging (the engine idle: only the intake's 25 rows per logout)
  callgrind   (only when named) instructions per ES256 logout and per delivery, counted by
              valgrind's callgrind in the daemon: exact where CPU time is noisy (benchcallgrind.py)
  purge       (only when named) ES256 at 1,000/s while the daemon purges 3,000,000 expired
              replay records at its start: acknowledgement p50/p99/max (benchpurge.py)
  purge-events (only when named) the same while it purges 20,000 events past the retention,
              each with 25 deliveries and 25 attempts (benchpurge.py)
  recover     (only when named) the same while an admin's recovery queues 100,000 failed
              deliveries of one RP again (benchpurge.py)
"""
import argparse
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from benchlib import (ROOT, Daemon, Hanging, Keys, Nginx, OTLPSink, make_tokens, path_for,  # noqa: E402
                      machine_cpu_ticks, percentiles, post_at_rate, wrk, write_wrk_tokens)


class Bench:
    def __init__(self, args):
        self.args = args
        self.binary = args.binary
        self.work = args.work
        os.makedirs(self.work, exist_ok=True)
        self.keys = Keys(self.work)
        self.serial = 0
        self.lost = []

    def folder(self, name):
        self.serial += 1
        path = os.path.join(self.work, f"{self.serial:03d}-{name}")
        # A second run on the same work folder starts from an empty database, not the last one's.
        shutil.rmtree(path, ignore_errors=True)
        os.makedirs(path)
        return path

    def tokens(self, alg, count, subjects=1_000_000):
        self.serial += 1
        return make_tokens(self.keys, alg, count, f"r{os.getpid()}x{self.serial}", subjects)

    # -- ceiling ------------------------------------------------------------------------------
    def ceiling(self):
        folder = self.folder("ceiling")
        nginx = Nginx(folder, 1, log=False)
        try:
            # One real token, posted again and again: nginx does not read it, only its size matters.
            tokens_file = os.path.join(folder, "tokens.lua")
            with open(tokens_file, "w") as f:
                f.write("tokens = {}\nlocal t = " + json.dumps("logout_token=" + self.tokens("ES256", 1)[0])
                        + "\nfor i = 1, 4000000 do tokens[i] = t end\n")
            result = wrk(f"http://127.0.0.1:{nginx.ports[0]}", "/", tokens_file, self.args.seconds)
            # The open-loop generator against nginx at 1,000/s: what it adds by itself to the
            # latency it reports for logoutd at the same rate.
            token = self.tokens("ES256", 1)[0]
            seconds = 3 if self.args.smoke else self.args.seconds
            fixed = post_at_rate(f"http://127.0.0.1:{nginx.ports[0]}", "/", [token] * (1000 * seconds), 1000)
            latency = percentiles([r[1] * 1000 for r in fixed if r and r[0] == 200])
            return {"requests_per_s": result["ok"] / result["seconds"], "p99_ms": result["p99_ms"],
                    "generator_at_1000_per_s_p50_ms": latency["p50"], "generator_at_1000_per_s_p99_ms": latency["p99"]}
        finally:
            nginx.stop()

    # -- ingest -------------------------------------------------------------------------------
    def ingest(self, alg, sink=None):
        """`sink`: tracing on at ratio 1.0, every span exported to it (issue 23)."""
        folder = self.folder("ingest-" + alg + ("-traced" if sink else ""))
        seconds = self.args.seconds if alg != "RS256" else max(2, self.args.seconds // 2)
        count = {"ES256": 14_000, "RS256": 9_000, "HS256": 14_000}[alg] * seconds
        if self.args.smoke:
            count = 2_000
        tokens = self.tokens(alg, count)
        tokens_file = os.path.join(folder, "tokens.lua")
        write_wrk_tokens(tokens_file, tokens)
        daemon = Daemon(self.binary, folder, extra=sink.config() if sink else "")
        daemon.start()
        try:
            daemon.register_issuers(self.keys)
            split_before = daemon.cpu_split()
            result = wrk(daemon.url, path_for(alg), tokens_file, seconds)
            split = [after - before for after, before in zip(daemon.cpu_split(), split_before)]
            cpu = sum(split)
            accepted = daemon.query("SELECT COUNT(*) FROM events WHERE outcome = 'accepted'")[0][0]
            rejected = daemon.query("SELECT COUNT(*) FROM events WHERE outcome != 'accepted'")[0][0]
            if result["exhausted"]:
                print(f"  note: {alg} ran out of distinct tokens ({result['exhausted']} requests)", file=sys.stderr)
            if rejected or result["non_200"]:
                self.lost.append(f"ingest {alg}: {rejected} events not accepted, {result['non_200']} non-200")
            return {"accepted_per_s": accepted / result["seconds"], "daemon_cpu_us_per_logout": cpu / accepted * 1e6,
                    "daemon_system_cpu_us_per_logout": split[1] / accepted * 1e6,
                    "p50_ms": result["p50_ms"],
                    "p99_ms": result["p99_ms"], "p999_ms": result["p999_ms"], "peak_rss_mib": self.mib(daemon)}
        finally:
            daemon.stop()

    def ingest_fixed(self, rate=1000, with_rps=False, all_hanging=False):
        """ES256 at a fixed rate, open loop. `with_rps`: 25 RPs follow every subject, 5 of which
        accept connections and never answer, so the acknowledgements are measured while the
        delivery engine is saturated (20 deliveries per logout, more than it can send at this
        rate) and holds hanging attempts: they must not slow down (issue 24). `all_hanging`: the
        25 RPs all hang, so the engine sits idle once their connections are full and what is left
        is the intake's own work, 25 delivery rows per logout (it tells the two causes apart)."""
        with_rps = with_rps or all_hanging
        folder = self.folder("ingest-fixed" + ("-hanging" if all_hanging else "-rps" if with_rps else ""))
        seconds = 3 if self.args.smoke else self.args.seconds
        tokens = self.tokens("ES256", rate * seconds)
        nginx = Nginx(os.path.join(folder, "rps"), 20) if with_rps and not all_hanging else None
        hanging = Hanging(25 if all_hanging else 5) if with_rps else None
        daemon = Daemon(self.binary, folder)
        daemon.start()
        try:
            daemon.register_issuers(self.keys)
            if with_rps:
                self.setup_rps(daemon, nginx, hanging)
            # What was busy while the requests were answered: the daemon's CPU (in cores) and the
            # whole machine's (a share of every core); a machine near 1 queues acknowledgements
            # for CPU, a daemon well under its cores with slow answers waits for something else.
            cpu_before, machine_before, started = daemon.cpu_split(), machine_cpu_ticks(), time.monotonic()
            results = post_at_rate(daemon.url, path_for("ES256"), tokens, rate)
            elapsed = time.monotonic() - started
            machine_after, cpu_after = machine_cpu_ticks(), daemon.cpu_split()
            daemon_cpu = [after - before for before, after in zip(cpu_before, cpu_after)]
            daemon_cores = sum(daemon_cpu) / elapsed
            machine_busy = (machine_after[0] - machine_before[0]) / max(1, machine_after[1] - machine_before[1])
            latencies = [r[1] * 1000 for r in results if r and r[0] == 200]
            failed = sum(1 for r in results if not r or r[0] != 200)
            accepted = daemon.query("SELECT COUNT(*) FROM events WHERE outcome = 'accepted'")[0][0]
            if failed or accepted != len(tokens):
                self.lost.append(f"ingest at {rate}/s: {failed} not answered 200, {accepted} of {len(tokens)} recorded")
            out = {f"{k}_ms": v for k, v in percentiles(latencies).items()}
            out["offered_per_s"] = rate
            out["daemon_cpu_cores"] = round(daemon_cores, 2)
            # Per logout at this rate, beside `ingest`'s at full speed: batches are small here.
            out["daemon_cpu_us_per_logout"] = sum(daemon_cpu) * 1e6 / max(1, len(tokens))
            out["daemon_system_cpu_us_per_logout"] = daemon_cpu[1] * 1e6 / max(1, len(tokens))
            out["machine_cpu_busy"] = round(machine_busy, 2)
            if all_hanging:
                # Rows, and those still in their logouts' plans (schema v16: the queue makes
                # the rows after the acknowledgement; none may be missing from either).
                planned = ("(SELECT COALESCE(SUM(json_array_length(plan)), 0) FROM pending_fanouts)"
                           if daemon.query("SELECT COUNT(*) FROM sqlite_master WHERE name = 'pending_fanouts'")[0][0]
                           else "0")
                rows = daemon.query(f"SELECT (SELECT COUNT(*) FROM deliveries) + {planned}")[0][0]
                if rows != 25 * accepted:
                    self.lost.append(f"ingest at {rate}/s to 25 hanging RPs: {rows} deliveries queued of {25 * accepted}")
            elif with_rps:
                counts = [len(t) for t in self.wait_delivered(nginx, len(latencies), timeout=300)]
                if any(c != len(latencies) for c in counts):
                    self.lost.append(f"ingest at {rate}/s with RPs: healthy RPs received {counts} of {len(latencies)}")
            return out
        finally:
            daemon.stop()
            if nginx:
                nginx.stop()
            if hanging:
                hanging.stop()

    # -- fan-out ------------------------------------------------------------------------------
    def setup_rps(self, daemon, nginx, hanging=None):
        for i, port in enumerate(nginx.ports if nginx else []):
            daemon.admin("POST", "/admin/v1/rps", {"client_id": f"rp{i}", "subjects": "all", "issuers": ["es256"],
                                                   "backchannel_logout_uri": f"http://127.0.0.1:{port}/bcl"})
        for i, port in enumerate(hanging.ports if hanging else []):
            daemon.admin("POST", "/admin/v1/rps", {"client_id": f"hang{i}", "subjects": "all", "issuers": ["es256"],
                                                   "backchannel_logout_uri": f"http://127.0.0.1:{port}/bcl"})

    def wait_delivered(self, nginx, expected_per_rp, timeout=120):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            received = nginx.received()
            if all(len(times) >= expected_per_rp for times in received):
                return received
            time.sleep(0.25)
        return nginx.received()

    def delivery_latencies(self, daemon, healthy_prefix="rp"):
        """Per delivered attempt: its arrival (start + duration) minus its event's acknowledgement
        (received_at), in ms; arrivals themselves are counted at the RPs."""
        rows = daemon.query(
            "SELECT (a.started_at + a.duration_ms) - e.received_at FROM attempts a "
            "JOIN deliveries d ON d.id = a.delivery_id JOIN events e ON e.id = d.event_id "
            "WHERE a.status_code = 200 AND d.client_id LIKE ?", (healthy_prefix + "%",))
        return [r[0] for r in rows]

    def fanout(self, sink=None):
        folder = self.folder("fanout" + ("-traced" if sink else ""))
        logouts = 100 if self.args.smoke else self.args.fanout_logouts
        tokens = self.tokens("ES256", logouts)
        nginx = Nginx(os.path.join(folder, "rps"), 20)
        daemon = Daemon(self.binary, folder, extra=sink.config() if sink else "")
        daemon.start()
        try:
            daemon.register_issuers(self.keys)
            self.setup_rps(daemon, nginx)
            split_before = daemon.cpu_split()
            results = post_at_rate(daemon.url, path_for("ES256"), tokens, 0, connections=16)
            acknowledged = [r for r in results if r and r[0] == 200]
            first_ack = min(r[2] for r in acknowledged)
            received = self.wait_delivered(nginx, len(acknowledged))
            counts = [len(t) for t in received]
            if len(acknowledged) != logouts or any(c != len(acknowledged) for c in counts):
                self.lost.append(f"fanout: {len(acknowledged)} of {logouts} acknowledged; RPs received {counts}")
            last = max(max(t) for t in received if t)
            delivered = sum(counts)
            split = [after - before for after, before in zip(daemon.cpu_split(), split_before)]
            cpu = sum(split)
            latency = percentiles(self.delivery_latencies(daemon))
            return {"deliveries_per_s": delivered / (last - first_ack), "deliveries": delivered,
                    "daemon_cpu_us_per_delivery": cpu / delivered * 1e6,
                    "daemon_system_cpu_us_per_delivery": split[1] / delivered * 1e6,
                    "ack_to_delivery_p50_ms": latency["p50"], "ack_to_delivery_p99_ms": latency["p99"],
                    "peak_rss_mib": self.mib(daemon)}
        finally:
            daemon.stop()
            nginx.stop()

    def traced(self, scenario):
        """Runs `scenario` with tracing on, exporting to a counting sink; an export that never
        arrived is a lost figure, not a cheap one."""
        sink = OTLPSink()
        try:
            result = scenario(sink)
            # Spans are batched every 5 s and flushed at the stop, which `scenario` made.
            if sink.requests == 0:
                self.lost.append("tracing: no span reached the OTLP sink")
            result["otlp_exports"] = sink.requests
            result["otlp_kib"] = sink.bytes / 1024
            return result
        finally:
            sink.stop()

    # -- isolation ----------------------------------------------------------------------------
    def steady(self, with_hanging):
        folder = self.folder("isolation-" + ("hanging" if with_hanging else "healthy"))
        seconds = 3 if self.args.smoke else self.args.seconds
        rate = 100
        tokens = self.tokens("ES256", rate * seconds)
        nginx = Nginx(os.path.join(folder, "rps"), 20)
        hanging = Hanging(5) if with_hanging else None
        daemon = Daemon(self.binary, folder)
        daemon.start()
        try:
            daemon.register_issuers(self.keys)
            self.setup_rps(daemon, nginx, hanging)
            results = post_at_rate(daemon.url, path_for("ES256"), tokens, rate)
            acks = [r[1] * 1000 for r in results if r and r[0] == 200]
            received = self.wait_delivered(nginx, len(acks))
            counts = [len(t) for t in received]
            if len(acks) != len(tokens) or any(c != len(acks) for c in counts):
                self.lost.append(f"isolation: {len(acks)} of {len(tokens)} acknowledged; healthy RPs got {counts}")
            ack = percentiles(acks)
            delivery = percentiles(self.delivery_latencies(daemon))
            return {"ack_p50_ms": ack["p50"], "ack_p99_ms": ack["p99"], "healthy_delivery_p50_ms": delivery["p50"],
                    "healthy_delivery_p99_ms": delivery["p99"]}
        finally:
            daemon.stop()
            nginx.stop()
            if hanging:
                hanging.stop()

    @staticmethod
    def mib(daemon):
        return max(daemon.peak_rss, daemon.high_water_rss()) / 1048576


def summarize(values):
    numbers = [v for v in values if isinstance(v, (int, float))]
    if not numbers:
        return {"runs": values}
    return {"min": min(numbers), "median": statistics.median(numbers), "max": max(numbers), "runs": numbers}


def filesystem(path):
    return subprocess.run(["stat", "-f", "-c", "%T", path], capture_output=True, text=True).stdout.strip()


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--binary", required=True)
    parser.add_argument("--floor-binary", help="logoutd-floor (Benchmarks/Floor), for the floor scenario")
    parser.add_argument("--build", default="release", help="release or debug (the smoke run only)")
    parser.add_argument("--work", default=os.path.join(ROOT, ".build", "bench-work"))
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--seconds", type=int, default=5)
    parser.add_argument("--fanout-logouts", type=int, default=2000)
    parser.add_argument("--scenarios", default="ceiling,floor,ingest,latency,fanout,tracing,isolation,scale,peer")
    parser.add_argument("--smoke", action="store_true", help="small counts, one run: checks that nothing is lost")
    parser.add_argument("--allow-tmpfs", action="store_true")
    parser.add_argument("--compare", default=None, help="another logoutd binary (before a change), run alternately")
    parser.add_argument("--json", default=None, help="where to write the JSON report")
    parser.add_argument("--delivery", action="append", default=[], metavar="LINE",
                        help="a line for every daemon's delivery: section, e.g. 'concurrency: 2' (repeatable)")
    args = parser.parse_args()
    args.work = os.path.abspath(args.work)
    args.binary = os.path.abspath(args.binary)
    if args.smoke:
        args.runs, args.seconds = 1, 2
    elif args.build != "release":
        sys.exit("bench: figures come from the release build only (--smoke may use another)")
    os.makedirs(args.work, exist_ok=True)
    fs = filesystem(args.work)
    if fs == "tmpfs" and not args.allow_tmpfs:
        sys.exit(f"bench: {args.work} is on tmpfs, where fsync is free: the figures would lie (--allow-tmpfs to insist)")
    Daemon.delivery_for_all = tuple(args.delivery)
    bench = Bench(args)
    chosen = args.scenarios.split(",")
    if "floor" in chosen and not (args.floor_binary and os.access(args.floor_binary, os.X_OK)):
        sys.exit("bench: the floor scenario needs --floor-binary, an executable logoutd-floor (Benchmarks/run passes it)")
    figures = {}

    def record(name, result):
        print(f"  {name}: " + ", ".join(f"{k}={v:.1f}" if isinstance(v, float) else f"{k}={v}"
                                        for k, v in result.items()), flush=True)
        for key, value in result.items():
            figures.setdefault(name, {}).setdefault(key, []).append(value)

    # With --compare, the other binary runs every scenario too, alternating with this one inside
    # each run, so "before" and "after" share the machine's mood.
    binaries = [("before:", os.path.abspath(args.compare)), ("", args.binary)] if args.compare else [("", args.binary)]
    for run in range(args.runs):
        print(f"run {run + 1} of {args.runs}", flush=True)
        if "ceiling" in chosen:
            record("ceiling", bench.ceiling())
        for label, binary in binaries:
            bench.binary = binary
            if "ingest" in chosen:
                for alg in ("ES256", "RS256", "HS256"):
                    record(f"{label}ingest_{alg}", bench.ingest(alg))
                record(f"{label}ingest_ES256_at_1000_per_s", bench.ingest_fixed())
            # Not in the smoke run: 100,000 deliveries are more than a debug build sends in CI's time.
            if "latency" in chosen and not args.smoke:
                if "ingest" not in chosen:
                    record(f"{label}ingest_ES256_at_1000_per_s", bench.ingest_fixed())
                record(f"{label}ingest_ES256_at_1000_per_s_25_rps_5_hanging", bench.ingest_fixed(with_rps=True))
                record(f"{label}ingest_ES256_at_1000_per_s_25_rps_all_hanging", bench.ingest_fixed(all_hanging=True))
            if "fanout" in chosen:
                record(f"{label}fanout", bench.fanout())
            # Tracing on at ratio 1.0 (issue 23), beside the same scenarios with it off above; not
            # for a --compare binary, which may predate `tracing:`.
            if "tracing" in chosen and not label:
                record(f"{label}traced_ingest_ES256", bench.traced(lambda sink: bench.ingest("ES256", sink)))
                record(f"{label}traced_fanout", bench.traced(bench.fanout))
            if "callgrind" in chosen and run == 0:
                from benchcallgrind import callgrind
                record(f"{label}callgrind", callgrind(bench, logouts=20 if args.smoke else 200))
            if "purge" in chosen:
                from benchpurge import purge
                record(f"{label}purge_3M_expired_replay_records", purge(bench))
            if "purge-events" in chosen:
                from benchpurge import purge_events
                record(f"{label}purge_20k_old_events", purge_events(bench))
            if "recover" in chosen:
                from benchpurge import recover
                record(f"{label}recover_100k_failed_deliveries", recover(bench))
            if "isolation" in chosen:
                record(f"{label}isolation_20_healthy", bench.steady(False))
                record(f"{label}isolation_20_healthy_5_hanging", bench.steady(True))
        bench.binary = args.binary
        # In every run, beside the figures it is the floor of.
        if "floor" in chosen:
            from benchfloor import floor
            record("floor", floor(bench))
    if "scale" in chosen:
        from benchscale import scale
        record("scale", scale(bench))
    if "peer" in chosen and not args.smoke:
        from benchpeer import peer
        record("peer_idpyoidc", peer(bench))

    report = {"machine": {"cpus": os.cpu_count(), "kernel": platform.release(), "filesystem": fs,
                          "build": args.build, "binary": args.binary,
                          "commit": subprocess.run(["git", "-C", ROOT, "rev-parse", "--short", "HEAD"],
                                                   capture_output=True, text=True).stdout.strip()},
              "runs": args.runs, "figures": {}, "lost": bench.lost}
    ceiling = statistics.median(figures["ceiling"]["requests_per_s"]) if "ceiling" in figures else None
    for name, values in figures.items():
        report["figures"][name] = {key: summarize(v) for key, v in values.items()}
        for key, summary in report["figures"][name].items():
            if ceiling and key.endswith("_per_s") and "median" in summary and key != "offered_per_s":
                summary["ratio_to_ceiling"] = summary["median"] / ceiling
    from benchfloor import ratios
    report["ratios_to_floor"] = ratios(report["figures"])
    text = json.dumps(report, indent=2)
    if args.json:
        with open(args.json, "w") as f:
            f.write(text + "\n")
    print(f"\n{'figure':<52} {'median':>10} {'min':>10} {'max':>10} {'× ceiling':>10}")
    for name, values in report["figures"].items():
        for key, summary in values.items():
            if "median" not in summary:
                print(f"{name + '.' + key:<52} {str(summary['runs'])[:40]}")
                continue
            ratio = f"{summary['ratio_to_ceiling']:.3f}" if "ratio_to_ceiling" in summary else ""
            digits = 3 if abs(summary["max"]) < 10 else 1
            print(f"{name + '.' + key:<52} {summary['median']:>10.{digits}f} {summary['min']:>10.{digits}f} "
                  f"{summary['max']:>10.{digits}f} {ratio:>10}")
    for name, ratio in report["ratios_to_floor"].items():
        verdict = "within" if ratio["ratio"] <= ratio["target"] else "above"
        if args.smoke:
            verdict = "smoke run, debug build: not a figure; " + verdict
        print(f"{name:<80} {ratio['ratio']:>6.2f}x  ({verdict} the {ratio['target']}x target)")
    if args.json:
        print(f"\nJSON report: {args.json}")
    if bench.lost:
        print("LOST: " + "; ".join(bench.lost), file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
