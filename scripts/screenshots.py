"""Drives the real logoutd and headless Chromium to capture the delivery log page.

Run through scripts/screenshots, which installs what this needs. Everything listens on 127.0.0.1.
"""

import argparse
import base64
import http.server
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
import urllib.request

import jwt
from selenium import webdriver
from selenium.common.exceptions import NoSuchElementException, StaleElementReferenceException
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By

HOSTILE = "<script>alert(1)</script>"


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_recorder(routes):
    """A loopback server that records every request (method, path, query, User-Agent) and
    answers `routes[path](query)` -> (status, headers, body)."""
    seen = []

    class Handler(http.server.BaseHTTPRequestHandler):
        def answer(self):
            url = urllib.parse.urlsplit(self.path)
            form = urllib.parse.parse_qs(self.rfile.read(int(self.headers.get("Content-Length", "0"))).decode())
            seen.append((self.command, url.path, url.query, self.headers.get("User-Agent", ""), form,
                         self.headers.get("Authorization", "")))
            status, headers, body = routes.get(url.path, lambda q: (404, {}, b""))(urllib.parse.parse_qs(url.query))
            self.send_response(status)
            for name, value in headers.items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        do_GET = answer
        do_POST = answer

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, seen


def start_rp(status):
    """A relying party that answers every back-channel logout with `status`."""

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_POST(self):
            self.rfile.read(int(self.headers.get("Content-Length", "0")))
            body = b"" if status == 200 else b'{"error":"invalid_request","error_description":"unknown sid"}'
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def page_text(driver):
    """The body's text, or "" while a navigation replaces the document: the element found may
    belong to the page being left, and reading it then raises, or the new document has no body
    yet (CI runs met both right after the retry button's POST)."""
    try:
        return driver.find_element(By.TAG_NAME, "body").text
    except (StaleElementReferenceException, NoSuchElementException):
        return ""


def wait_for(condition, what, timeout=30):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.2)
    sys.exit(f"screenshots: timed out waiting for {what}")


def browser_logout(driver, cli, folder, public, shoot, check_page):
    """RP-initiated logout driven by Chromium: /end-session, the front-channel iframe, the
    upstream IdP's end-session, our callback, and back to the application with its state."""

    def idp_logout(query):
        back = query["post_logout_redirect_uri"][0] + "?state=" + urllib.parse.quote(query["state"][0], safe="")
        return 303, {"Location": back}, b""

    basic = "Basic " + base64.b64encode(b"logoutd:idp-client-secret").decode()
    idp, idp_seen = start_recorder({"/logout": idp_logout, "/revoke": lambda q: (200, {}, b"")})
    page = "<!doctype html><title>Portal</title><h1>Signed out of the portal</h1>".encode()
    rp, rp_seen = start_recorder({
        "/signed-out": lambda q: (200, {"Content-Type": "text/html"}, page),
        "/fc": lambda q: (200, {"Content-Type": "text/html"}, b"<!doctype html><title>wiki</title>"),
        "/bcl": lambda q: (200, {}, b""),
    })
    idp_url = f"http://127.0.0.1:{idp.server_address[1]}"
    rp_url = f"http://127.0.0.1:{rp.server_address[1]}"
    try:
        secret = os.path.join(folder, "idp.secret")
        with open(secret, "w") as f:
            f.write("the-idp-signs-id-tokens-with-this-secret")
        files = {}
        for name, value in [("client", "idp-client-secret"), ("access", "at-carol-1"), ("refresh", "rt-carol-1")]:
            files[name] = os.path.join(folder, name + ".secret")
            with open(files[name], "w") as f:
                f.write(value)
        cli("issuers", "add", "--name", "idp", "--issuer", "https://idp.example", "--audience", "logoutd",
            "--shared-secret-file", secret, "--end-session-endpoint", idp_url + "/logout", "--client-id", "logoutd",
            "--revocation-endpoint", idp_url + "/revoke", "--client-secret-file", files["client"])
        cli("rps", "add", "portal", "--uri", rp_url + "/bcl", "--post-logout-redirect-uri", rp_url + "/signed-out")
        cli("rps", "add", "wiki", "--uri", rp_url + "/bcl", "--frontchannel-logout-uri", rp_url + "/fc",
            "--frontchannel-session-required", "true")
        cli("sessions", "add", "--issuer", "idp", "--sub", "carol", "--sid", "op-9", "--client-id", "portal",
            "--access-token-file", files["access"], "--refresh-token-file", files["refresh"])
        cli("sessions", "add", "--issuer", "idp", "--sub", "carol", "--sid", "op-9", "--client-id", "wiki",
            "--rp-sid", "wiki-9")
        now = int(time.time())
        with open(secret) as f:
            key = f.read().strip()
        hint = jwt.encode({"iss": "https://idp.example", "aud": "portal", "sub": "carol", "sid": "op-9",
                           "iat": now - 600, "exp": now - 300}, key, algorithm="HS256")
        query = urllib.parse.urlencode({"id_token_hint": hint, "post_logout_redirect_uri": rp_url + "/signed-out",
                                        "state": "s-123", "ui_locales": "fr"})
        driver.get(f"http://127.0.0.1:{public}/end-session?{query}")
        check_page()
        if "Déconnexion en cours" not in driver.find_element(By.TAG_NAME, "body").text:
            sys.exit("screenshots: the interstitial page is not the French one")
        shoot("end-session-interstitial.png")
        wait_for(lambda: driver.current_url.startswith(rp_url + "/signed-out"), "the browser back at the portal", 20)
        state = urllib.parse.parse_qs(urllib.parse.urlsplit(driver.current_url).query).get("state")
        if state != ["s-123"]:
            sys.exit(f"screenshots: the portal got state {state}, not s-123")
        frames = [s for s in rp_seen if s[1] == "/fc"]
        if not frames or "HeadlessChrome" not in frames[0][3]:
            sys.exit(f"screenshots: the browser did not load the front-channel iframe: {rp_seen}")
        sent = urllib.parse.parse_qs(frames[0][2])
        if sent.get("sid") != ["wiki-9"] or sent.get("iss") != [f"http://127.0.0.1:{public}"]:
            sys.exit(f"screenshots: the front-channel URI carried {sent}")
        upstream = [s for s in idp_seen if s[1] == "/logout"]
        if not upstream or urllib.parse.parse_qs(upstream[0][2]).get("id_token_hint") != [hint]:
            sys.exit(f"screenshots: the IdP's end-session was not visited with the hint: {idp_seen}")
        wait_for(lambda: any(s[0] == "POST" and s[1] == "/bcl" for s in rp_seen), "the portal's back-channel token")
        wait_for(lambda: len([s for s in idp_seen if s[1] == "/revoke"]) >= 2, "the upstream tokens' revocation")
        revoked = [(s[4].get("token_type_hint"), s[4].get("token"), s[5]) for s in idp_seen if s[1] == "/revoke"]
        if revoked != [(["refresh_token"], ["rt-carol-1"], basic), (["access_token"], ["at-carol-1"], basic)]:
            sys.exit(f"screenshots: the IdP's revocation endpoint received {revoked}")
        shoot("end-session-done.png")
        print("checked: /end-session → front-channel iframe loaded by Chromium → IdP end-session → callback → "
              "portal with its state; back-channel delivered; refresh then access token revoked (RFC 7009)")
    finally:
        idp.shutdown()
        rp.shutdown()


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--logoutd", required=True)
    parser.add_argument("--out", required=True)
    args = parser.parse_args()
    os.makedirs(args.out, exist_ok=True)

    folder = tempfile.mkdtemp(prefix="logoutd-screenshots-")
    public, admin = free_port(), free_port()
    config = os.path.join(folder, "logoutd.yaml")
    with open(config, "w") as f:
        f.write(
            f"""issuer: "http://127.0.0.1:{public}"
public:
  listen: "127.0.0.1:{public}"
admin:
  listen: "127.0.0.1:{admin}"
  token_file: "admin-token"
database:
  path: "data/logoutd.sqlite3"
keys:
  dir: "keys"
delivery:
  allow_private_networks: true
log:
  level: "warning"
"""
        )
    daemon = subprocess.Popen(
        [args.logoutd, "serve", "--config", config],
        stdout=subprocess.DEVNULL,
        stderr=open(os.path.join(folder, "logoutd.log"), "w"),
    )
    ok_rp, refusing_rp = start_rp(200), start_rp(400)
    down_port = free_port()  # nothing listens here: connections are refused, attempts retry
    driver = None
    try:

        def ready():
            try:
                return urllib.request.urlopen(f"http://127.0.0.1:{public}/healthz", timeout=1).status == 200
            except OSError:
                return False

        wait_for(ready, "the daemon to start")

        def cli(*words):
            run = subprocess.run(
                [args.logoutd, *words, "--config", config], capture_output=True, text=True, timeout=30
            )
            if run.returncode != 0:
                sys.exit(f"screenshots: logoutd {' '.join(words)} failed: {run.stderr}")
            return run.stdout

        secret = os.path.join(folder, "app.secret")
        with open(secret, "w") as f:
            f.write("a-secret-of-at-least-thirty-two-bytes!!")
        cli("issuers", "add", "--name", "app1", "--issuer", "https://app1.example", "--audience", "logoutd",
            "--shared-secret-file", secret)
        rps = {
            "shop": f"http://127.0.0.1:{ok_rp.server_address[1]}/logout",
            "billing": f"http://127.0.0.1:{refusing_rp.server_address[1]}/logout",
            "crm": f"http://127.0.0.1:{down_port}/logout",
            "legacy": f"http://127.0.0.1:{ok_rp.server_address[1]}/legacy-logout",
        }
        for client_id, uri in rps.items():
            cli("rps", "add", client_id, "--uri", uri)
        cli("rps", "disable", "legacy")
        subjects = ["alice", "bob", HOSTILE]
        for sub in subjects:
            for client_id in rps:
                cli("sessions", "add", "--issuer", "app1", "--sub", sub, "--client-id", client_id)
        for sub in subjects:
            cli("logout", "--issuer", "app1", "--sub", sub)

        def statuses():
            listed = json.loads(cli("deliveries", "list", "--json", "--limit", "100"))
            return {d["status"] for d in listed["deliveries"]}

        wait_for(lambda: {"delivered", "failed", "skipped", "retrying"} <= statuses(),
                 "delivered, failed, skipped and retrying deliveries")
        with open(os.path.join(folder, "admin-token")) as f:
            token = f.read().strip()

        options = webdriver.ChromeOptions()
        options.binary_location = shutil.which("chromium")
        for flag in ["--headless=new", "--no-sandbox", "--disable-gpu", "--window-size=1360,900",
                     "--disable-dev-shm-usage", "--hide-scrollbars"]:
            options.add_argument(flag)
        options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
        driver = webdriver.Chrome(service=Service(shutil.which("chromedriver")), options=options)
        base = f"http://127.0.0.1:{admin}"

        def shoot(name):
            driver.execute_script("window.scrollTo(0, 0)")
            height = driver.execute_script("return document.documentElement.scrollHeight")
            driver.set_window_size(1360, max(900, height + 40))
            path = os.path.join(args.out, name)
            driver.save_screenshot(path)
            print(f"saved {path}")

        def check_page():
            scripts = driver.find_elements(By.TAG_NAME, "script")
            if scripts:
                sys.exit(f"screenshots: the page at {driver.current_url} holds {len(scripts)} <script> elements")
            violations = [e["message"] for e in driver.get_log("browser") if "Content Security Policy" in e["message"]]
            if violations:
                sys.exit(f"screenshots: CSP violations: {violations}")

        driver.get(base + "/admin/")
        if "/admin/login" not in driver.current_url:
            sys.exit("screenshots: the page did not ask to sign in")
        shoot("login.png")
        driver.find_element(By.NAME, "token").send_keys(token)
        driver.find_element(By.CSS_SELECTOR, "form button[type=submit]").click()
        try:
            wait_for(lambda: driver.current_url.rstrip("/").endswith("/admin"), "the delivery log after sign-in", 10)
        except SystemExit:
            print(driver.current_url, driver.find_element(By.TAG_NAME, "body").text[:500], file=sys.stderr)
            raise
        check_page()
        if HOSTILE not in driver.find_element(By.TAG_NAME, "body").text:
            sys.exit("screenshots: the hostile subject is not shown as text")
        for summary in driver.find_elements(By.CSS_SELECTOR, "details summary")[:2]:
            summary.click()
        shoot("delivery-log.png")

        driver.get(base + "/admin/?status=retrying")
        check_page()
        for summary in driver.find_elements(By.CSS_SELECTOR, "details summary")[:1]:
            summary.click()
        shoot("delivery-log-retrying.png")

        driver.get(base + "/admin/?status=failed")
        check_page()
        driver.find_element(By.CSS_SELECTOR, "form[action$='/retry'] button").click()
        wait_for(lambda: "is queued again" in page_text(driver), "the retry button to queue the delivery", 10)
        check_page()
        shoot("delivery-log-retried.png")
        print(f"checked: no <script> element, no CSP violation, {HOSTILE!r} shown as text")
        browser_logout(driver, cli, folder, public, shoot, check_page)
    finally:
        if driver is not None:
            driver.quit()
        daemon.terminate()
        daemon.wait(timeout=20)
        ok_rp.shutdown()
        refusing_rp.shutdown()
        shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
