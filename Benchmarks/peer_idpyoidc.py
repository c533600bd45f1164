"""Run by Benchmarks/benchpeer.py in the interop venv: idpyoidc's own back-channel logout
(Session.do_verified_logout with alla=True) of one user with sessions at every RP given on the
command line, as JSON: how long the call took and what it raised."""
import json
import os
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "Tests", "interop"))
from interop import IdpyIdP  # noqa: E402


def main():
    uris = sys.argv[1:]
    idp = IdpyIdP(uris[0], tempfile.mkdtemp(prefix="peer-idpyoidc-"))
    template = idp.context.cdb[IdpyIdP.CLIENT_ID]
    idp.context.cdb = {}
    for index, uri in enumerate(uris):
        idp.context.cdb[f"rp{index}"] = dict(template, client_id=f"rp{index}", backchannel_logout_uri=uri)
    # The same delivery timeout as logoutd's default (10 s); without one, requests waits forever.
    idp.context.httpc_params = {"timeout": 10}
    # One user with a session at every RP; logging out the first ends them all (alla=True).
    sids = []
    for index in range(len(uris)):
        IdpyIdP.CLIENT_ID = f"rp{index}"
        sids.append(idp.login("peer-user"))
    sid = sids[0]
    started = time.monotonic()
    started_wall = time.time()
    error = None
    try:
        idp.session_endpoint.do_verified_logout(sid, alla=True)
    except Exception as problem:  # what the IdP's logout request would see
        error = f"{type(problem).__name__}: {problem}"[:200]
    print(json.dumps({"returned_after_s": time.monotonic() - started, "started_at": started_wall, "error": error}))


if __name__ == "__main__":
    main()
