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

The second dump is kept (`callgrind_annotate FILE` shows where the instructions went).
"""
import glob
import os
import shutil
import subprocess
import time

from benchlib import Daemon, Nginx, path_for, post_at_rate

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


def callgrind(bench, logouts=200):
    if not shutil.which("valgrind") or not shutil.which("callgrind_control"):
        raise RuntimeError("the callgrind scenario needs valgrind (apt install valgrind)")
    result = {}
    # Ingest: no RPs, so a logout is validation, look-up and the event's rows.
    folder = bench.folder("callgrind-ingest")
    tokens = bench.tokens("ES256", logouts)
    daemon = _daemon(bench, folder)
    daemon.start()
    try:
        daemon.register_issuers(bench.keys)
        _dump(daemon, folder, "setup")
        answers = post_at_rate(daemon.url, path_for("ES256"), tokens, 0, connections=8)
        instructions, path = _dump(daemon, folder, "ingest")
        accepted = daemon.query("SELECT COUNT(*) FROM events WHERE outcome = 'accepted'")[0][0]
        if accepted != logouts or any(not a or a[0] != 200 for a in answers):
            bench.lost.append(f"callgrind ingest: {accepted} of {logouts} accepted")
        result["instructions_per_logout"] = instructions / max(accepted, 1)
        result["ingest_dump"] = path
    finally:
        daemon.stop()
    # Fan-out: every logout to 20 RPs; instructions per delivery, the intake's share included.
    folder = bench.folder("callgrind-fanout")
    tokens = bench.tokens("ES256", logouts)
    nginx = Nginx(os.path.join(folder, "rps"), RPS)
    daemon = _daemon(bench, folder)
    daemon.start()
    try:
        daemon.register_issuers(bench.keys)
        bench.setup_rps(daemon, nginx)
        _dump(daemon, folder, "setup")
        answers = post_at_rate(daemon.url, path_for("ES256"), tokens, 0, connections=8)
        expected = logouts * RPS

        def delivered():
            return daemon.query("SELECT COUNT(*) FROM deliveries WHERE status = 'delivered'")[0][0] >= expected

        _wait(delivered)
        instructions, path = _dump(daemon, folder, "fanout")
        counts = [len(t) for t in nginx.received()]
        if any(not a or a[0] != 200 for a in answers) or any(c != logouts for c in counts):
            bench.lost.append(f"callgrind fanout: RPs received {counts} of {logouts} each")
        result["instructions_per_delivery"] = instructions / max(sum(counts), 1)
        result["fanout_dump"] = path
    finally:
        daemon.stop()
        nginx.stop()
    return result
