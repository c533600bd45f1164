"""The peer comparison of Benchmarks/bench.py: one logout, 25 RPs of which 5 never answer, through
idpyoidc's own back-channel logout and through logoutd, side by side."""
import json
import os
import subprocess
import time

from benchlib import ROOT, Daemon, Hanging, Nginx, path_for, post_at_rate


def layout(nginx, hanging):
    """25 back-channel URIs, a hanging RP every fifth place (idpyoidc notifies in order)."""
    uris, healthy = [], iter(nginx.ports)
    hang = iter(hanging.ports)
    for index in range(25):
        port = next(hang) if index % 5 == 2 else next(healthy)
        uris.append(f"http://127.0.0.1:{port}/bcl")
    return uris


def peer(bench):
    python = os.path.join(ROOT, ".build", "interop-venv", "bin", "python")
    out = {}
    # idpyoidc
    folder = bench.folder("peer-idpyoidc")
    nginx, hanging = Nginx(os.path.join(folder, "rps"), 20), Hanging(5)
    try:
        run = subprocess.run([python, os.path.join(ROOT, "Benchmarks", "peer_idpyoidc.py")] + layout(nginx, hanging),
                             capture_output=True, text=True, timeout=600)
        result = json.loads(run.stdout.strip().splitlines()[-1])
        time.sleep(0.5)
        arrivals = [t for times in nginx.received() for t in times]
        out["idpyoidc_answer_s"] = result["returned_after_s"]
        out["idpyoidc_healthy_notified"] = len(arrivals)
        out["idpyoidc_last_healthy_s"] = (max(arrivals) - result["started_at"]) if arrivals else None
        out["idpyoidc_error"] = result["error"]
    finally:
        nginx.stop()
        hanging.stop()
    # logoutd, the same RPs
    folder = bench.folder("peer-logoutd")
    nginx, hanging = Nginx(os.path.join(folder, "rps"), 20), Hanging(5)
    daemon = Daemon(bench.binary, folder)
    daemon.start()
    try:
        daemon.register_issuers(bench.keys)
        for index, uri in enumerate(layout(nginx, hanging)):
            daemon.admin("POST", "/admin/v1/rps", {"client_id": f"rp{index}", "subjects": "all", "issuers": ["es256"],
                                                   "backchannel_logout_uri": uri})
        token = bench.tokens("ES256", 1)
        started = time.time()
        result = post_at_rate(daemon.url, path_for("ES256"), token, 0, connections=1)[0]
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and sum(len(t) for t in nginx.received()) < 20:
            time.sleep(0.05)
        arrivals = [t for times in nginx.received() for t in times]
        out["logoutd_answer_s"] = result[1]
        out["logoutd_healthy_notified"] = len(arrivals)
        out["logoutd_last_healthy_s"] = (max(arrivals) - started) if arrivals else None
    finally:
        daemon.stop()
        nginx.stop()
        hanging.stop()
    return out
