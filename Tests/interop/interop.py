#!/usr/bin/env python3
"""logoutd against real identity software, on loopback.

Peers:
  * oidc-provider-mock (PyPI): the OpenID provider that Apache's users log in at.
  * Apache 2 + mod_auth_openidc (Debian): a real relying party that validates back-channel
    logout tokens strictly and deletes the matching session.
  * idpyoidc (PyPI, IdentityPython): a real OpenID provider whose session endpoint signs logout
    tokens with its own keys and POSTs them to a registered backchannel_logout_uri.

Run it with Tests/interop/run (installs the peers, builds logoutd). Prints one line per test and a
closing "N passed, N failed"; exits 1 if anything failed.
"""

import argparse
import base64
import http.server
import json
import os
import secrets
import shutil
import sys
import tempfile
import threading
import time
import traceback
import urllib.parse

import jwt  # PyJWT
import requests

import lemonldap_cases
from support import Check, Processes, apache_conf, expect, free_port, wait_until

# ----------------------------------------------------------------------------------------------
# Infrastructure


class Logoutd:
    def __init__(self, binary, workdir, processes):
        self.workdir = workdir
        self.public_port = free_port()
        self.admin_port = free_port()
        self.url = f"http://127.0.0.1:{self.public_port}"
        self.admin_url = f"http://127.0.0.1:{self.admin_port}"
        config = os.path.join(workdir, "logoutd.yaml")
        with open(config, "w") as f:
            f.write(
                f"""issuer: "{self.url}"
public:
  listen: "127.0.0.1:{self.public_port}"
admin:
  listen: "127.0.0.1:{self.admin_port}"
  token_file: "admin-token"
database:
  path: "data/logoutd.sqlite3"
keys:
  dir: "keys"
delivery:
  allow_private_networks: true
  backoff_initial: "1s"
  max_attempts: 3
log:
  level: "debug"
"""
            )
        processes.start("logoutd", [binary, "serve", "--config", config], workdir)
        if not wait_until(lambda: requests.get(self.url + "/readyz", timeout=1).status_code == 200, 30):
            raise RuntimeError("logoutd did not become ready; see logoutd.log")
        with open(os.path.join(workdir, "admin-token")) as f:
            self.token = f.read().strip()

    def admin(self, method, path, body=None):
        response = requests.request(
            method,
            self.admin_url + path,
            json=body,
            headers={"Authorization": "Bearer " + self.token},
            timeout=10,
        )
        try:
            payload = response.json()
        except ValueError:
            payload = None
        return response.status_code, payload

    def must(self, method, path, body=None, status=201):
        code, payload = self.admin(method, path, body)
        expect(code == status, f"{method} {path} answered {code}: {payload}")
        return payload

    def deliveries(self, **query):
        q = "&".join(f"{k}={v}" for k, v in query.items())
        return self.must("GET", "/admin/v1/deliveries?" + q, status=200)["deliveries"]

    def events(self):
        return self.must("GET", "/admin/v1/events?limit=100", status=200)["events"]


class MockOP:
    def __init__(self, venv_bin, workdir, processes):
        self.port = free_port()
        self.issuer = f"http://127.0.0.1:{self.port}"
        processes.start(
            "oidc-provider-mock",
            [os.path.join(venv_bin, "oidc-provider-mock"), "--port", str(self.port), "--host", "127.0.0.1"],
            workdir,
        )
        if not wait_until(lambda: requests.get(self.issuer + "/.well-known/openid-configuration", timeout=1).ok, 30):
            raise RuntimeError("oidc-provider-mock did not start; see oidc-provider-mock.log")


class Apache:
    """Apache httpd with mod_auth_openidc protecting /protected/, logging users in at the mock OP."""

    CLIENT_ID = "apache-rp"
    CLIENT_SECRET = "apache-rp-client-secret-" + secrets.token_hex(16)

    def __init__(self, op, workdir, processes):
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.redirect_uri = self.base + "/protected/redirect_uri"
        self.backchannel_uri = self.redirect_uri + "?logout=backchannel"
        root = os.path.join(workdir, "apache")
        os.makedirs(os.path.join(root, "www", "protected"))
        with open(os.path.join(root, "www", "protected", "index.html"), "w") as f:
            f.write("protected content\n")
        self.error_log = os.path.join(root, "error.log")
        conf = apache_conf(
            root,
            self.port,
            "127.0.0.1",
            f"""
OIDCProviderMetadataURL {op.issuer}/.well-known/openid-configuration
OIDCClientID {self.CLIENT_ID}
OIDCClientSecret {self.CLIENT_SECRET}
OIDCRedirectURI {self.redirect_uri}
OIDCCryptoPassphrase {secrets.token_hex(16)}
OIDCScope "openid"
""",
        )
        processes.start("apache", ["/usr/sbin/apache2", "-f", conf, "-DFOREGROUND"], root)
        if not wait_until(lambda: requests.get(self.base + "/", timeout=1).status_code > 0, 30):
            raise RuntimeError("apache did not start; see " + self.error_log)

    def login(self, sub):
        """Logs `sub` in through the mock OP's form; returns the browser (a session with cookies)."""
        browser = requests.Session()
        r = browser.get(self.base + "/protected/", allow_redirects=False, timeout=10)
        expect(r.status_code == 302, f"apache did not redirect to the OP: {r.status_code}")
        r = requests.post(r.headers["Location"], data={"sub": sub}, allow_redirects=False, timeout=10)
        expect(r.status_code == 302, f"the OP refused the login: {r.status_code} {r.text[:200]}")
        r = browser.get(r.headers["Location"], allow_redirects=False, timeout=10)
        expect(r.status_code == 302, f"apache refused the callback: {r.status_code} {r.text[:200]}")
        expect(self.status(browser) == 200, "the protected page is not served after login")
        return browser

    def status(self, browser):
        """200 while the session lives; 302 to the OP once it is gone."""
        return browser.get(self.base + "/protected/", allow_redirects=False, timeout=10).status_code


class IdpyIdP:
    """An idpyoidc OpenID provider, in process, whose relying party is logoutd."""

    ISSUER = "https://idpy.example"
    CLIENT_ID = "logoutd"

    def __init__(self, backchannel_logout_uri, workdir):
        from cryptojwt.key_jar import build_keyjar
        from idpyoidc.server import Server
        from idpyoidc.server.configure import OPConfiguration
        from idpyoidc.server.cookie_handler import CookieHandler
        from idpyoidc.server.oidc.authorization import Authorization
        from idpyoidc.server.oidc.provider_config import ProviderConfiguration
        from idpyoidc.server.oidc.session import Session
        from idpyoidc.server.oidc.token import Token
        from idpyoidc.server.user_authn.authn_context import INTERNETPROTOCOLPASSWORD
        from idpyoidc.server.user_info import UserInfo

        key_defs = [{"type": "RSA", "use": ["sig"]}, {"type": "EC", "crv": "P-256", "use": ["sig"]}]
        crypt = {
            "kwargs": {
                "keys": {
                    "key_defs": [
                        {"type": "OCT", "use": ["enc"], "kid": "password"},
                        {"type": "OCT", "use": ["enc"], "kid": "salt"},
                    ]
                },
                "iterations": 1,
            }
        }
        conf = {
            "issuer": self.ISSUER,
            "password": secrets.token_hex(16),
            "verify_ssl": False,
            "keys": {"uri_path": "jwks.json", "key_defs": key_defs},
            "endpoint": {
                "provider_config": {"path": ".well-known/openid-configuration", "class": ProviderConfiguration, "kwargs": {}},
                "authorization": {"path": "authorization", "class": Authorization, "kwargs": {}},
                "token": {"path": "token", "class": Token, "kwargs": {}},
                "token_revocation": {
                    "path": "revoke",
                    "class": "idpyoidc.server.oauth2.token_revocation.TokenRevocation",
                    "kwargs": {"client_authn_method": ["client_secret_basic"]},
                },
                "session": {
                    "path": "end_session",
                    "class": Session,
                    "kwargs": {"post_logout_uri_path": "post_logout", "logout_verify_url": self.ISSUER + "/verify_logout"},
                },
            },
            "authentication": {
                "anon": {"acr": INTERNETPROTOCOLPASSWORD, "class": "idpyoidc.server.user_authn.user.NoAuthn", "kwargs": {"user": "diana"}}
            },
            "userinfo": {"class": UserInfo, "kwargs": {"db": {}}},
            "template_dir": "template",
            "token_handler_args": {
                "code": {"lifetime": 600, "kwargs": {"crypt_conf": crypt}},
                "token": {"class": "idpyoidc.server.token.jwt_token.JWTToken", "kwargs": {"lifetime": 3600}},
                "refresh": {"class": "idpyoidc.server.token.jwt_token.JWTToken", "kwargs": {"lifetime": 3600}},
                "id_token": {"class": "idpyoidc.server.token.id_token.IDToken", "kwargs": {}},
            },
            "session_params": {"encrypter": crypt},
        }
        self.keyjar = build_keyjar(key_defs)
        self.keyjar.import_jwks(self.keyjar.export_jwks(private=True), self.ISSUER)
        self.server = Server(
            OPConfiguration(conf=conf, base_path=workdir),
            cwd=workdir,
            cookie_handler=CookieHandler(
                sign_key=secrets.token_hex(24), name={"session": "s", "register": "r", "session_management": "m"}
            ),
            keyjar=self.keyjar,
        )
        self.context = self.server.context
        # Unreserved characters only: idpyoidc 5.0.0 does not form-decode client_secret_basic
        # credentials (RFC 6749 §2.3.1), so a secret with ':' or '/' fails there (docs/interop.md).
        self.client_secret = secrets.token_hex(16)
        self.context.cdb = {
            self.CLIENT_ID: {
                "client_id": self.CLIENT_ID,
                "client_secret": self.client_secret,
                "redirect_uris": [("https://logoutd.example/cb", None)],
                "backchannel_logout_uri": backchannel_logout_uri,
                "allowed_scopes": ["openid"],
                "response_types_supported": ["code"],
            }
        }
        # Record what logoutd answers to the IdP's own POSTs.
        self.answers = []
        original = self.context.httpc

        def recording_httpc(method, url, **kwargs):
            response = original(method, url, **kwargs)
            self.answers.append(response.status_code)
            return response

        self.context.httpc = recording_httpc
        self.session_endpoint = self.server.get_endpoint("session")

    def public_jwks(self):
        return self.keyjar.export_jwks(issuer_id=self.ISSUER)

    def login(self, user_id):
        """A session of `user_id` at logoutd (the client), with an ID token: returns its sid."""
        from idpyoidc.message.oidc import AuthorizationRequest
        from idpyoidc.server.authn_event import create_authn_event
        from idpyoidc.server.user_authn.authn_context import INTERNETPROTOCOLPASSWORD
        from idpyoidc.time_util import utc_time_sans_frac

        manager = self.context.session_manager
        sid = manager.create_session(
            authn_event=create_authn_event(user_id, authn_info=INTERNETPROTOCOLPASSWORD),
            auth_req=AuthorizationRequest(
                state=secrets.token_hex(4),
                response_type="code",
                redirect_uri="https://logoutd.example/cb",
                scope=["openid"],
                client_id=self.CLIENT_ID,
            ),
            user_id=user_id,
            client_id=self.CLIENT_ID,
        )
        manager[sid].mint_token(
            session_id=sid,
            context=self.context,
            token_class="id_token",
            token_handler=manager.token_handler["id_token"],
            expires_at=utc_time_sans_frac() + 900,
        )
        return sid

    def login_with_tokens(self, user_id):
        """A session with an access token and a refresh token minted by idpyoidc: returns the sid,
        the two token values, and the grant to inspect later."""
        sid = self.login(user_id)
        manager = self.context.session_manager
        grant = manager[sid]
        tokens = {}
        for token_class in ("access_token", "refresh_token"):
            tokens[token_class] = grant.mint_token(
                session_id=sid,
                context=self.context,
                token_class=token_class,
                token_handler=manager.token_handler[token_class],
                expires_in=900,
            )
        return sid, tokens["access_token"], tokens["refresh_token"]

    def serve_revocation(self):
        """idpyoidc's own RFC 7009 endpoint on loopback HTTP, its client authentication included:
        the request goes through the endpoint's parse_request, process_request and do_response."""
        from idpyoidc.message import Message

        endpoint = self.server.get_endpoint("token_revocation")
        calls = self.revocation_calls = []

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length", "0"))).decode()
                http_info = {
                    "headers": {"authorization": self.headers.get("Authorization", "")},
                    "url": self.path,
                    "method": "POST",
                }
                try:
                    request = endpoint.parse_request(body, http_info=http_info)
                    if isinstance(request, Message) and "error" in request:
                        status, answer = 401, request.to_json()
                    else:
                        result = endpoint.process_request(request)
                        if isinstance(result, Message) and "error" in result:
                            status, answer = 400, result.to_json()
                        else:
                            status, answer = 200, ""
                except Exception as problem:  # idpyoidc raises on bad client authentication
                    status, answer = 401, json.dumps({"error": "invalid_client", "error_description": str(problem)})
                calls.append((urllib.parse.parse_qs(body).get("token_type_hint", [""])[0], status))
                data = answer.encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args):
                pass

        server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        self.revocation_server = server
        return f"http://127.0.0.1:{server.server_address[1]}/revoke"

    def logout(self, sid):
        """The IdP's own verified logout: it signs a logout token and POSTs it to logoutd."""
        self.session_endpoint.do_verified_logout(sid)

    def logout_token(self, sid):
        """The token the IdP would send, without sending it."""
        _, token = self.session_endpoint.do_back_channel_logout(self.context.cdb[self.CLIENT_ID], sid)
        return token


class Sink:
    """A minimal RP that records the logout tokens it receives."""

    def __init__(self):
        self.tokens = []
        sink = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length", 0))).decode()
                for pair in body.split("&"):
                    if pair.startswith("logout_token="):
                        sink.tokens.append(pair[len("logout_token="):])
                self.send_response(200)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/logout"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def stop(self):
        self.server.shutdown()


def claims_of(token):
    payload = token.split(".")[1]
    return json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))


def header_of(token):
    header = token.split(".")[0]
    return json.loads(base64.urlsafe_b64decode(header + "=" * (-len(header) % 4)))


def post_logout(logoutd, token):
    return requests.post(logoutd.url + "/backchannel-logout", data={"logout_token": token}, timeout=10)


def wait_for_delivery(logoutd, event_id, client_id, final=("delivered", "failed", "skipped"), timeout=20):
    found = {}

    def done():
        for delivery in logoutd.deliveries(event_id=event_id, client_id=client_id):
            if delivery["status"] in final:
                found["delivery"] = delivery
                return True
        return False

    expect(wait_until(done, timeout, 0.1), f"no final delivery to {client_id} for event {event_id}")
    return found["delivery"]


# ----------------------------------------------------------------------------------------------
# The tests


def test_idpyoidc_to_logoutd(env):
    """IdP → logoutd: idpyoidc logs a user out; logoutd accepts its token and fans out."""
    logoutd, idp, sink = env["logoutd"], env["idp"], env["sink"]
    sid = idp.login("diana")
    logoutd.must("POST", "/admin/v1/sessions", {"issuer": idp.ISSUER, "sub": "diana", "sid": sid, "client_id": "sink-rp"})
    token = idp.logout_token(sid)
    header, claims = header_of(token), claims_of(token)
    # What makes idpyoidc's tokens different from ours, as the issue describes them.
    expect("typ" not in header, f"idpyoidc now sends typ: {header}")
    expect("sub" not in claims and claims["sid"] == sid, f"unexpected claims: {sorted(claims)}")
    expect(isinstance(claims["aud"], list) and claims["exp"] - claims["iat"] == 86400, f"aud/exp: {claims}")
    idp.logout(sid)
    expect(idp.answers[-1] == 200, f"logoutd answered idpyoidc with {idp.answers[-1]}")
    event = logoutd.events()[0]
    expect(event["outcome"] == "accepted" and event["source"] == "idpy", f"event: {event}")
    expect(event["sid"] == sid and event["sub"] is None, "the event does not carry idpyoidc's sid")
    expect(event["deliveries"] == 1, f"deliveries: {event['deliveries']}")
    expect(wait_until(lambda: len(sink.tokens) == 1, 10), "the RP never received the fan-out")
    delivered = claims_of(sink.tokens[0])
    # The sink hears from logoutd, not from idpyoidc, so it cannot know idpyoidc's sid: it is
    # addressed by sub (RES-3), unless a sid of its own was registered.
    expect("sid" not in delivered and delivered["sub"] == "diana" and delivered["aud"] == "sink-rp", f"{delivered}")


def test_logoutd_to_apache(env):
    """logoutd → RP: mod_auth_openidc accepts our token and ends that session, and only that one."""
    logoutd, apache, op = env["logoutd"], env["apache"], env["op"]
    alice, bob = apache.login("alice"), apache.login("bob")
    for user in ("alice", "bob"):
        logoutd.must(
            "POST", "/admin/v1/sessions", {"issuer": op.issuer, "sub": user, "client_id": apache.CLIENT_ID}
        )
    event = logoutd.must("POST", "/admin/v1/logout", {"issuer": "mock-op", "sub": "alice"}, status=202)
    delivery = wait_for_delivery(logoutd, event["event_id"], apache.CLIENT_ID)
    expect(delivery["status"] == "delivered" and delivery["last_status_code"] == 200, f"delivery: {delivery}")
    expect(apache.status(alice) == 302, "alice's session survived the logout")
    expect(apache.status(bob) == 200, "bob's session was ended too")


def test_full_chain(env):
    """idpyoidc → logoutd → Apache: the IdP's logout ends the Apache session mapped to it."""
    logoutd, apache, idp = env["logoutd"], env["apache"], env["idp"]
    carol = apache.login("carol")
    sid = idp.login("carol-at-idpy")
    # The Apache session is known to logoutd under the IdP's sid; mod_auth_openidc's own session
    # has no sid (the mock OP issues none), so it must be addressed by sub only.
    logoutd.must(
        "POST",
        "/admin/v1/sessions",
        {"issuer": idp.ISSUER, "sub": "carol-at-idpy", "sid": sid, "client_id": apache.CLIENT_ID, "rp_sub": "carol", "rp_sid": None},
    )
    idp.logout(sid)
    expect(idp.answers[-1] == 200, f"logoutd answered idpyoidc with {idp.answers[-1]}")
    event = logoutd.events()[0]
    expect(event["sid"] == sid and event["deliveries"] == 1, f"event: {event}")
    delivery = wait_for_delivery(logoutd, event["id"], apache.CLIENT_ID)
    expect(delivery["status"] == "delivered", f"delivery: {delivery}")
    expect(wait_until(lambda: apache.status(carol) == 302, 10), "carol is still logged in at Apache")


def test_tampered_idpyoidc_token_is_rejected(env):
    """A logout token from idpyoidc altered in transit is rejected; the untouched one is accepted."""
    logoutd, idp = env["logoutd"], env["idp"]
    sid = idp.login("erin")
    token = idp.logout_token(sid)
    header, payload, signature = token.split(".")
    claims = claims_of(token)
    claims["sid"] = sid[:-4] + "AAAA"
    forged_payload = base64.urlsafe_b64encode(json.dumps(claims).encode()).rstrip(b"=").decode()
    flipped = signature[:-2] + ("A" if signature[-2] != "A" else "B") + signature[-1]
    for name, forged in (("payload", f"{header}.{forged_payload}.{signature}"), ("signature", f"{header}.{payload}.{flipped}")):
        r = post_logout(logoutd, forged)
        expect(r.status_code == 400, f"tampered {name}: logoutd answered {r.status_code}")
        expect(r.json().get("error") == "invalid_request", f"tampered {name}: {r.text}")
        expect(r.headers.get("Cache-Control") == "no-store", f"tampered {name}: no Cache-Control: no-store")
    r = post_logout(logoutd, token)
    expect(r.status_code == 200, f"the genuine token was refused: {r.status_code} {r.text}")


def test_rejected_delivery_fails_without_endless_retries(env):
    """A delivery mod_auth_openidc rejects (wrong aud) ends failed with the RP's error, once."""
    logoutd, apache, op = env["logoutd"], env["apache"], env["op"]
    dave = apache.login("dave")
    logoutd.must(
        "POST",
        "/admin/v1/rps",
        {
            "client_id": "not-the-apache-client",
            "backchannel_logout_uri": apache.backchannel_uri,
            "signing": {"alg": "HS256", "client_secret": apache.CLIENT_SECRET},
            "token_issuer": op.issuer,
        },
    )
    logoutd.must("POST", "/admin/v1/sessions", {"issuer": op.issuer, "sub": "dave", "client_id": "not-the-apache-client"})
    event = logoutd.must("POST", "/admin/v1/logout", {"issuer": "mock-op", "sub": "dave"}, status=202)
    delivery = wait_for_delivery(logoutd, event["event_id"], "not-the-apache-client")
    expect(delivery["status"] == "failed" and delivery["attempts"] == 1, f"delivery: {delivery}")
    expect(delivery["last_status_code"] == 400, f"status: {delivery['last_status_code']}")
    expect("400" in (delivery["reason"] or "") and "Bad Request" in (delivery["reason"] or ""), f"reason: {delivery['reason']}")
    detail = logoutd.must("GET", f"/admin/v1/deliveries/{delivery['id']}", status=200)
    expect(detail["attempt_log"][0]["error_class"] == "http_4xx", f"attempt: {detail['attempt_log']}")
    # Nothing may be retried: the delivery ended with no next attempt scheduled, and only waiting
    # deliveries are ever claimed again (the Swift suite's DeliveryTests prove that part).
    expect(detail.get("next_attempt_at") is None, f"a retry is scheduled: {detail}")
    expect(detail["attempt_log"][0].get("next_attempt_at") is None, f"the attempt scheduled a retry: {detail}")
    expect(apache.status(dave) == 200, "dave's session was ended by a token Apache rejected")


def test_pyjwt_app_token(env):
    """App → logoutd: a token signed by PyJWT as the Logora doc describes (sub, aud, iat; typ JWT, no iss)."""
    logoutd, sink = env["logoutd"], env["sink"]
    secret = "logora-app-secret-of-at-least-32-bytes"
    logoutd.must(
        "POST",
        "/admin/v1/issuers",
        {"name": "logora-app", "issuer": "https://app.example", "audience": "logoutd", "shared_secret": secret},
    )
    logoutd.must("POST", "/admin/v1/sessions", {"issuer": "https://app.example", "sub": "42", "client_id": "sink-rp"})
    before = len(sink.tokens)
    token = jwt.encode({"sub": "42", "aud": "logoutd", "iat": int(time.time())}, secret, algorithm="HS256")
    expect(header_of(token).get("typ") == "JWT" and "iss" not in claims_of(token), f"PyJWT wrote {header_of(token)}")
    answer = requests.post(logoutd.url + "/backchannel-logout/logora-app", data={"logout_token": token}, timeout=10)
    expect(answer.status_code == 200, f"logoutd answered the PyJWT token with {answer.status_code}: {answer.text}")
    expect(wait_until(lambda: len(sink.tokens) == before + 1, 10), "the RP never received the app's logout")
    delivered = claims_of(sink.tokens[-1])
    expect(delivered["sub"] == "42" and delivered["aud"] == "sink-rp", f"{delivered}")
    # The same token again is a retransmission: 200, and nothing ended or sent. The user logs in
    # again first, so that a token taken for a new logout would find a session to end.
    logoutd.must("POST", "/admin/v1/sessions", {"issuer": "https://app.example", "sub": "42", "client_id": "sink-rp"})
    queued = len(logoutd.deliveries(client_id="sink-rp", limit=1000))
    again = requests.post(logoutd.url + "/backchannel-logout/logora-app", data={"logout_token": token}, timeout=10)
    expect(again.status_code == 200, f"a retransmission was answered {again.status_code}")
    # A logout is committed with its deliveries before its 200 (IN-17): what the retransmission
    # did is all visible now, no waiting needed.
    outcomes = [e["outcome"] for e in logoutd.must("GET", "/admin/v1/events?issuer=logora-app", status=200)["events"]]
    expect(outcomes == ["duplicate", "accepted"], f"events of the app: {outcomes}")
    expect(len(logoutd.deliveries(client_id="sink-rp", limit=1000)) == queued, "a retransmitted app token was fanned out again")
    sessions = logoutd.must("GET", "/admin/v1/sessions?issuer=https://app.example&sub=42", status=200)["sessions"]
    expect(len(sessions) == 1, f"the retransmission ended the new session: {sessions}")
    expect(len(sink.tokens) == before + 1, "a retransmitted app token was sent again")


def test_idpyoidc_revokes_upstream_tokens(env):
    """logoutd → idpyoidc (RFC 7009): a logout ends a session holding idpyoidc's access and refresh
    tokens; logoutd revokes both at idpyoidc's own revocation endpoint with client_secret_basic."""
    logoutd, idp = env["logoutd"], env["idp"]
    revoke_url = idp.serve_revocation()
    changed = logoutd.must(
        "PATCH",
        "/admin/v1/issuers/idpy",
        {"revocation_endpoint": revoke_url, "client_id": idp.CLIENT_ID, "client_secret": idp.client_secret},
        status=200,
    )
    expect(changed.get("revocation_endpoint") == revoke_url, f"issuer: {changed}")
    sid, access, refresh = idp.login_with_tokens("frank")
    expect(not access.revoked and not refresh.revoked, "fresh tokens are already revoked")
    logoutd.must(
        "POST",
        "/admin/v1/sessions",
        {"issuer": idp.ISSUER, "sub": "frank", "sid": sid, "client_id": "sink-rp",
         "access_token": access.value, "refresh_token": refresh.value},
    )
    event = logoutd.must("POST", "/admin/v1/logout", {"issuer": "idpy", "sid": sid}, status=202)
    found = {}

    def revoked():
        found["list"] = logoutd.must("GET", f"/admin/v1/revocations?event_id={event['event_id']}", status=200)["revocations"]
        return len(found["list"]) == 2 and all(r["status"] in ("revoked", "failed") for r in found["list"])

    expect(wait_until(revoked, 15, 0.1), f"revocations did not finish: {found.get('list')}")
    expect(all(r["status"] == "revoked" and not r["token_stored"] for r in found["list"]), f"{found['list']}")
    expect(idp.revocation_calls == [("refresh_token", 200), ("access_token", 200)], f"calls: {idp.revocation_calls}")
    expect(access.revoked and refresh.revoked, "idpyoidc still holds the tokens as valid")


TESTS = [
    test_idpyoidc_to_logoutd,
    test_pyjwt_app_token,
    test_logoutd_to_apache,
    test_full_chain,
    test_tampered_idpyoidc_token_is_rejected,
    test_rejected_delivery_fails_without_endless_retries,
    test_idpyoidc_revokes_upstream_tokens,
]


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--logoutd", required=True, help="path of the logoutd binary")
    parser.add_argument("--keep", action="store_true", help="keep the work folder (logs) after the run")
    args = parser.parse_args()
    args.logoutd = os.path.abspath(args.logoutd)

    workdir = tempfile.mkdtemp(prefix="logoutd-interop-")
    processes = Processes()
    passed = failed = 0
    started = time.monotonic()
    env = {}
    try:
        env["logoutd"] = Logoutd(args.logoutd, workdir, processes)
        env["logoutd_log"] = os.path.join(workdir, "logoutd.log")
        env["op"] = MockOP(os.path.dirname(sys.executable), workdir, processes)
        env["apache"] = Apache(env["op"], workdir, processes)
        env["idp"] = IdpyIdP(env["logoutd"].url + "/backchannel-logout", workdir)
        env["sink"] = Sink()
        logoutd, op, apache, idp, sink = env["logoutd"], env["op"], env["apache"], env["idp"], env["sink"]
        logoutd.must("POST", "/admin/v1/issuers", {"name": "idpy", "issuer": idp.ISSUER, "audience": idp.CLIENT_ID, "jwks": idp.public_jwks()})
        logoutd.must("POST", "/admin/v1/issuers", {"name": "mock-op", "issuer": op.issuer, "audience": "logoutd", "jwks_uri": op.issuer + "/jwks"})
        logoutd.must("POST", "/admin/v1/rps", {"client_id": "sink-rp", "backchannel_logout_uri": sink.url})
        logoutd.must(
            "POST",
            "/admin/v1/rps",
            {
                "client_id": apache.CLIENT_ID,
                "backchannel_logout_uri": apache.backchannel_uri,
                "signing": {"alg": "HS256", "client_secret": apache.CLIENT_SECRET},
                "token_issuer": op.issuer,
            },
        )
        # The browser half against LemonLDAP::NG: a set-up failure fails its cases, not the others.
        lemonldap_tests = []
        try:
            lemonldap_cases.setup(env, workdir, processes)
            lemonldap_tests = lemonldap_cases.TESTS
        except Exception:
            failed += 1
            print(f"FAIL lemonldap_setup (LemonLDAP::NG): {traceback.format_exc()}", flush=True)
        for test in TESTS + lemonldap_tests:
            name = test.__name__[len("test_"):]
            try:
                test(env)
                passed += 1
                print(f"PASS {name}", flush=True)
            except (Check, lemonldap_cases.Check) as problem:
                failed += 1
                print(f"FAIL {name}: {problem}", flush=True)
            except Exception:
                failed += 1
                print(f"FAIL {name}: unexpected error\n{traceback.format_exc()}", flush=True)
        sink.stop()
    except Exception:
        failed += 1
        print(f"FAIL setup: {traceback.format_exc()}", flush=True)
    finally:
        processes.stop_all()
        if "llng" in env:
            env["llng"].close()  # its /etc/hosts lines
        if failed or args.keep:
            print(f"logs kept in {workdir}", flush=True)
        else:
            shutil.rmtree(workdir, ignore_errors=True)
    print(f"{passed} passed, {failed} failed ({time.monotonic() - started:.1f} s)", flush=True)
    return 0 if failed == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
