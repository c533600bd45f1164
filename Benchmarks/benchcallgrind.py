"""Instructions per unit of work, counted by valgrind's callgrind (the `callgrind` scenario of
Benchmarks/bench.py).

CPU time moves with the machine's load and the hour; an instruction count does not, so a change
of a few per cent is visible in one run. The daemon runs inside callgrind (every thread, its
libraries and the kernel's answers to it, but not the kernel's own work); the counters are dumped
once the RPs and issuers are set up, and again once the workload is done, so the second dump
holds exactly the workload:

  ingest   N distinct ES256 logouts, nobody to deliver to: instructions per logout
  fanout   N ES256 logouts delivered to 20 nginx RPs: instructions per delivery, its share of the
           intake included (the same unit as the fan-out's CPU per delivery)

The daemon is BINARY-callgrind, the same objects linked with the Swift runtime inside
(Benchmarks/staticlink.py, which Benchmarks/run calls): valgrind 3.19 stops on the toolchain's
shared libraries. With `--compare OLD`, OLD-callgrind must sit beside OLD.

A few logouts go first, uncounted (statements prepared, metrics handles made); what the idle
daemon spends in as long as the workload took (its timers), sampled right after, is taken off
(`*_raw` keeps the count before that). The workload's dump is kept (`callgrind_annotate FILE`
shows where the instructions went).
"""
import glob
import os
import shutil
import subprocess
import time

from benchlib import Daemon, Nginx, path_for, post_at_rate
from staticlink import sha256

RPS = 20


def _dump(daemon, folder, label):
    """Dumps the counters (callgrind zeroes them as it dumps) and returns (total, file)."""
    before = set(glob.glob(os.path.join(folder, "callgrind.out*")))
    subprocess.run(["callgrind_control", "--dump=" + label, str(daemon.process.pid)], check=True,
                   capture_output=True, timeout=120)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        new = set(glob.glob(os.path.join(folder, "callgrind.out*"))) - before
        for path in new:
            with open(path) as f:
                for line in f:
                    if line.startswith("totals:") or line.startswith("summary:"):
                        return int(line.split()[1]), path
        time.sleep(0.2)
    raise RuntimeError("callgrind wrote no dump for " + label)


def _daemon(bench, folder):
    binary = bench.binary + "-callgrind"
    if not os.access(binary, os.X_OK):
        raise RuntimeError(f"the callgrind scenario needs {binary} (Benchmarks/staticlink.py {binary})")
    # A copy linked from other objects would measure another build (say "before" = "after").
    try:
        with open(binary + ".sha256") as f:
            mirrored = f.read().strip()
    except OSError:
        mirrored = None
    if mirrored != sha256(bench.binary):
        raise RuntimeError(f"{binary} was not linked from the objects of {bench.binary} "
                           f"(no {binary}.sha256, or another binary's); run Benchmarks/staticlink.py again "
                           "right after building it, and keep both files with the binary")
    wrapper = ["valgrind", "--tool=callgrind", "--quiet",
               "--callgrind-out-file=" + os.path.join(folder, "callgrind.out.%p")]
    return Daemon(binary, folder, wrapper=wrapper, ready_within=600)


def _wait(check, timeout=600):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return True
        time.sleep(0.5)
    return False


WARM_UP = 20


def _measure(daemon, folder, label, workload):
    """Instructions of `workload` alone: counted between two dumps, less what the idle daemon
    spends in as long (timers: metrics, digests, the dispatcher's wake-ups), sampled right after.
    Returns (net, raw, seconds)."""
    _dump(daemon, folder, "setup")
    started = time.monotonic()
    workload()
    raw, path = _dump(daemon, folder, label)
    seconds = time.monotonic() - started
    idle_seconds = min(seconds, 20.0)
    time.sleep(idle_seconds)
    idle, _ = _dump(daemon, folder, "idle")
    return raw - idle / idle_seconds * seconds, raw, path


def callgrind(bench, logouts=200):
    if not shutil.which("valgrind") or not shutil.which("callgrind_control"):
        raise RuntimeError("the callgrind scenario needs valgrind (apt install valgrind)")
    result = {}
    # Ingest: no RPs, so a logout is validation, look-up and the event's rows. A few logouts
    # first, uncounted: statements prepared, metrics handles made, lazy globals set.
    folder = bench.folder("callgrind-ingest")
    tokens = bench.tokens("ES256", logouts + WARM_UP)
    daemon = _daemon(bench, folder)
    daemon.start()
    try:
        daemon.register_issuers(bench.keys)
        post_at_rate(daemon.url, path_for("ES256"), tokens[:WARM_UP], 0, connections=8)
        answers = []

        def ingest():
            answers.extend(post_at_rate(daemon.url, path_for("ES256"), tokens[WARM_UP:], 0, connections=8))

        net, raw, path = _measure(daemon, folder, "ingest", ingest)
        accepted = daemon.query("SELECT COUNT(*) FROM events WHERE outcome = 'accepted'")[0][0] - WARM_UP
        if accepted != logouts or any(not a or a[0] != 200 for a in answers):
            bench.lost.append(f"callgrind ingest: {accepted} of {logouts} accepted")
        result["instructions_per_logout"] = net / max(accepted, 1)
        result["instructions_per_logout_raw"] = raw / max(accepted, 1)
        result["ingest_dump"] = path
    finally:
        daemon.stop()
    # Fan-out: every logout to 20 RPs; instructions per delivery, the intake's share included.
    folder = bench.folder("callgrind-fanout")
    tokens = bench.tokens("ES256", logouts + WARM_UP)
    nginx = Nginx(os.path.join(folder, "rps"), RPS)
    daemon = _daemon(bench, folder)
    daemon.start()
    try:
        daemon.register_issuers(bench.keys)
        bench.setup_rps(daemon, nginx)

        def delivered(count):
            return lambda: daemon.query(
                "SELECT COUNT(*) FROM deliveries WHERE status = 'delivered'")[0][0] >= count * RPS

        post_at_rate(daemon.url, path_for("ES256"), tokens[:WARM_UP], 0, connections=8)
        if not _wait(delivered(WARM_UP)):
            raise RuntimeError("callgrind fanout: the warm-up deliveries did not arrive within 600 s")
        answers = []

        def fanout():
            answers.extend(post_at_rate(daemon.url, path_for("ES256"), tokens[WARM_UP:], 0, connections=8))
            if not _wait(delivered(WARM_UP + logouts)):
                raise RuntimeError("callgrind fanout: the deliveries did not all arrive within 600 s")

        net, raw, path = _measure(daemon, folder, "fanout", fanout)
        counts = [len(t) - WARM_UP for t in bench.wait_delivered(nginx, WARM_UP + logouts, timeout=30)]
        if any(not a or a[0] != 200 for a in answers) or any(c != logouts for c in counts):
            bench.lost.append(f"callgrind fanout: RPs received {counts} of {logouts} each")
        result["instructions_per_delivery"] = net / max(sum(counts), 1)
        result["instructions_per_delivery_raw"] = raw / max(sum(counts), 1)
        result["fanout_dump"] = path
    finally:
        daemon.stop()
        nginx.stop()
    return result
