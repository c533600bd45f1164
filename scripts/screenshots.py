"""Drives the real logoutd and headless Chromium to capture the delivery log page.

Run through scripts/screenshots, which installs what this needs. Everything listens on 127.0.0.1.
"""

import argparse
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
import urllib.request

from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By

HOSTILE = "<script>alert(1)</script>"


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


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


def wait_for(condition, what, timeout=30):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.2)
    sys.exit(f"screenshots: timed out waiting for {what}")


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
        check_page()
        if "is queued again" not in driver.find_element(By.TAG_NAME, "body").text:
            sys.exit("screenshots: the retry button did not queue the delivery")
        shoot("delivery-log-retried.png")
        print(f"checked: no <script> element, no CSP violation, {HOSTILE!r} shown as text")
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
