"""logoutd on PostgreSQL beside SQLite: ingest of distinct ES256 tokens at saturation and fan-out
to 20 RPs, with 1 and with 3 replicas sharing one database (docs/benchmarks.md, docs/scale-out.md).

Run by `Benchmarks/run-postgres` (a throwaway PostgreSQL cluster with fsync on, the release build).
Ingest: wrk per replica, each with its own distinct tokens, accepted counted in the database.
Fan-out: logouts posted round-robin to the replicas, deliveries counted at the RPs (nginx logs).
"""
import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from benchlib import Daemon, Keys, Nginx, make_tokens, path_for, percentiles, post_at_rate, wrk, write_wrk_tokens  # noqa: E402


def psql(url, sql):
    base = url.split("?")[0]
    out = subprocess.run(["psql", base, "-Atc", sql], capture_output=True, text=True, check=True)
    return out.stdout.strip()


def fresh_database(url, name):
    psql(url, f"DROP DATABASE IF EXISTS {name}")
    psql(url, f"CREATE DATABASE {name}")
    return url.replace("/postgres?", f"/{name}?")


class Replica(Daemon):
    """A replica: the benchmark's daemon with `database.url` instead of the SQLite file."""

    def __init__(self, binary, folder, url, extra_delivery=()):
        super().__init__(binary, folder, extra_delivery)
        config = os.path.join(folder, "logoutd.yaml")
        text = open(config).read().replace('  path: "data/logoutd.sqlite3"', f'  url: "{url}"')
        open(config, "w").write(text)


def start_replicas(binary, work, name, url, count):
    replicas = []
    for i in range(count):
        folder = os.path.join(work, f"{name}-{i}")
        shutil.rmtree(folder, ignore_errors=True)
        if url is None:
            replicas.append(Daemon(binary, folder))
        else:
            if i > 0:  # the secrets key is the one thing replicas are given; keys come from the store
                os.makedirs(os.path.join(folder, "keys"), mode=0o700)
                shutil.copy(os.path.join(work, f"{name}-0", "keys", "secrets.key"), os.path.join(folder, "keys"))
            replicas.append(Replica(binary, folder, url))
        replicas[-1].start()
    return replicas


def accepted(replicas, url):
    if url is None:
        return replicas[0].query("SELECT COUNT(*) FROM events WHERE outcome = 'accepted'")[0][0]
    return int(psql(url, "SELECT COUNT(*) FROM events WHERE outcome = 'accepted'"))


def ingest(args, keys, url, count):
    name = f"ingest-{'pg' if url else 'sqlite'}-{count}{args.tag}"
    replicas = start_replicas(args.binary, args.work, name, url, count)
    try:
        replicas[0].register_issuers(keys)
        time.sleep(0.5)
        per = 14_000 * args.seconds // count
        files = []
        for i, replica in enumerate(replicas):
            tokens = make_tokens(keys, "ES256", per, prefix=f"{name}-{i}-")
            path = os.path.join(replica.folder, "tokens.lua")
            write_wrk_tokens(path, tokens)
            files.append(path)
        cpu = [r.cpu_seconds() for r in replicas]
        results = [None] * count

        def run(i):
            results[i] = wrk(replicas[i].url, path_for("ES256"), files[i], args.seconds, threads=1,
                             connections=max(8, 32 // count))
        threads = [threading.Thread(target=run, args=(i,)) for i in range(count)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        total = accepted(replicas, url)
        used = sum(r.cpu_seconds() - c for r, c in zip(replicas, cpu))
        seconds = max(r["seconds"] for r in results)
        return {"accepted_per_s": round(total / seconds), "daemon_cpu_us_per_logout": round(used / total * 1e6),
                "p99_ms": max(r["p99_ms"] for r in results), "non_200": sum(r["non_200"] for r in results)}
    finally:
        for r in replicas:
            r.stop()


def fanout(args, keys, url, count):
    name = f"fanout-{'pg' if url else 'sqlite'}-{count}{args.tag}"
    nginx = Nginx(os.path.join(args.work, name + "-rps"), 20)
    replicas = start_replicas(args.binary, args.work, name, url, count)
    try:
        replicas[0].register_issuers(keys)
        for i, port in enumerate(nginx.ports):
            replicas[0].admin("POST", "/admin/v1/rps", {"client_id": f"rp{i}", "subjects": "all", "issuers": ["es256"],
                                                        "backchannel_logout_uri": f"http://127.0.0.1:{port}/bcl"})
        time.sleep(0.5)
        tokens = make_tokens(keys, "ES256", args.logouts, prefix=name + "-")
        cpu = [r.cpu_seconds() for r in replicas]
        results = [None] * count

        def post(i):
            results[i] = post_at_rate(replicas[i].url, path_for("ES256"), tokens[i::count], 0, connections=16 // count)
        threads = [threading.Thread(target=post, args=(i,)) for i in range(count)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        acknowledged = [r for part in results for r in part if r and r[0] == 200]
        first = min(r[2] for r in acknowledged)
        deadline = time.monotonic() + 300
        while time.monotonic() < deadline:
            received = nginx.received()
            if all(len(t) >= len(acknowledged) for t in received):
                break
            time.sleep(0.25)
        counts = [len(t) for t in received]
        lost = len(acknowledged) != args.logouts or any(c < len(acknowledged) for c in counts)
        last = max(max(t) for t in received if t)
        delivered = sum(counts)
        used = sum(r.cpu_seconds() - c for r, c in zip(replicas, cpu))
        return {"deliveries_per_s": round(delivered / (last - first)), "deliveries": delivered,
                "daemon_cpu_us_per_delivery": round(used / delivered * 1e6), "lost": lost}
    finally:
        for r in replicas:
            r.stop()
        nginx.stop()


class FloorRun:
    """What benchfloor.floor needs of Benchmarks/bench.py's Bench, for the floor in every run."""

    def __init__(self, args, binary):
        self.args, self.binary, self.lost, self.serial = args, binary, [], 0

    def folder(self, name):
        self.serial += 1
        path = os.path.join(self.args.work, f"floor-{self.serial:03d}-{name}")
        shutil.rmtree(path, ignore_errors=True)
        os.makedirs(path)
        return path


def median(values):
    values = [v for v in values if v is not None]
    return statistics.median(values) if values else None


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--binary", required=True)
    parser.add_argument("--work", required=True)
    parser.add_argument("--url", default=os.environ.get("LOGOUTD_TEST_POSTGRES_URL"))
    parser.add_argument("--seconds", type=int, default=5)
    parser.add_argument("--logouts", type=int, default=1000)
    parser.add_argument("--runs", type=int, default=1)
    parser.add_argument("--compare", default=None, help="another logoutd binary (before a change), run alternately")
    parser.add_argument("--floor-binary", default=None,
                        help="logoutd-floor: the floor measured in every run, each figure's ratio to it")
    parser.add_argument("--stores", default="sqlite:1,postgres:1,postgres:3",
                        help="which configurations, e.g. postgres:1")
    parser.add_argument("--json", default=None)
    args = parser.parse_args()
    args.smoke = False
    args.tag = ""  # each measurement's folders (and nginx logs) of their own
    args.binary = os.path.abspath(args.binary)
    args.compare = args.compare and os.path.abspath(args.compare)
    os.makedirs(args.work, exist_ok=True)
    os.makedirs(os.path.join(args.work, "idp-keys"), exist_ok=True)
    keys = Keys(os.path.join(args.work, "idp-keys"))
    binaries = [("", args.binary)] + ([("before: ", args.compare)] if args.compare else [])
    configurations = [(store, int(count)) for store, count in (c.split(":") for c in args.stores.split(","))]
    runs = {}
    floors = []
    for run in range(args.runs):
        # With --compare the two binaries alternate inside each run, the older one first in odd runs.
        order = binaries if run % 2 == 0 else list(reversed(binaries))
        for store, replicas in configurations:
            label = f"{store} x{replicas}"
            for scenario, measure in (("ingest ES256", ingest), ("fan-out 20 RPs", fanout)):
                for prefix, binary in order:
                    args.binary = binary
                    args.tag = f"-run{run + 1}{'-before' if prefix else ''}"
                    url = None if store == "sqlite" else fresh_database(
                        args.url, f"bench_{scenario.split()[0].replace('-', '')}_{replicas}")
                    result = measure(args, keys, url, replicas)
                    runs.setdefault(f"{prefix}{scenario} | {label}", []).append(result)
                    print(f"run {run + 1} {prefix}{scenario:16} {label:12} {json.dumps(result)}", flush=True)
        args.binary = binaries[0][1]
        if args.floor_binary:
            from benchfloor import floor
            bench = FloorRun(args, args.binary)
            floors.append(floor(bench))
            if bench.lost:
                runs.setdefault("floor", []).append({"lost": True, "why": bench.lost})
            print(f"run {run + 1} floor: per delivery {floors[-1].get('cpu_us_per_delivery', 0):.1f} µs, "
                  f"per logout {floors[-1].get('cpu_us_per_logout', 0):.1f} µs", flush=True)
    report = {"runs": runs, "medians": {}}
    floor_delivery = median([f.get("cpu_us_per_delivery") for f in floors])
    floor_logout = median([f.get("cpu_us_per_logout") for f in floors])
    if floors:
        report["floor"] = {"cpu_us_per_delivery": floor_delivery, "cpu_us_per_logout": floor_logout, "runs": floors}
    print(f"\n{'figure':<44} {'median':>10}  {'runs':<30} {'× floor':>8}")
    for name, results in runs.items():
        if name == "floor":
            continue
        for key in results[0]:
            if key in ("lost", "deliveries", "non_200"):
                continue
            values = [r[key] for r in results]
            middle = median(values)
            report["medians"].setdefault(name, {})[key] = middle
            base = {"daemon_cpu_us_per_logout": floor_logout, "daemon_cpu_us_per_delivery": floor_delivery}.get(key)
            ratio = f"{middle / base:.2f}" if base and middle else ""
            if ratio:
                report["medians"][name][key + "_to_floor"] = middle / base
            print(f"{name + '.' + key:<44} {middle:>10}  {str(values):<30} {ratio:>8}")
    if args.json:
        with open(args.json, "w") as f:
            json.dump(report, f, indent=2)
    if any(v.get("lost") or v.get("non_200") for results in runs.values() for v in results):
        print("LOST: an acknowledged logout was not delivered, a request was refused or the floor failed",
              file=sys.stderr)
        sys.exit(1)


if __name__ == "__main__":
    main()
