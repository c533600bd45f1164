"""The browser half against a real OpenID provider: LemonLDAP::NG 2.16 (Debian), in Chromium.

Set-up (setup(env, workdir, processes)): LemonLDAP::NG behind its own nginx (lemonldap.py), an
app (Apache + mod_auth_openidc) whose OP is LemonLDAP::NG, and logoutd registered twice:
  * at LemonLDAP::NG, as the app's front-channel logout URI (LemonLDAP::NG cannot send
    back-channel logout tokens) and, for the end-session chain, as one of the app's
    post_logout_redirect_uris (our /end-session/callback);
  * in logoutd, LemonLDAP::NG as issuer `llng` (its JWKS, its end_session_endpoint,
    frontchannel_intake on) and the app as an RP (HS256 tokens with its client secret and
    LemonLDAP::NG's iss, as mod_auth_openidc expects).
The app's session is registered in logoutd as an app's login hook would register it: from the ID
token mod_auth_openidc received (its sub and sid).
"""

import os
import secrets
import urllib.parse

import jwt  # PyJWT
import requests

from lemonldap import LemonLDAP, RelyingParty
from support import Check, apache_conf, expect, free_port, wait_until


class LemonApp:
    """Apache httpd + mod_auth_openidc protecting /protected/, an RP of LemonLDAP::NG."""

    CLIENT_ID = "lemon-app"

    def __init__(self, workdir, port):
        self.client_secret = "lemon-app-secret-" + secrets.token_hex(16)
        self.port = port
        self.base = f"http://127.0.0.1:{port}"
        self.redirect_uri = self.base + "/protected/redirect_uri"
        self.backchannel_uri = self.redirect_uri + "?logout=backchannel"
        self.logged_out_uri = self.base + "/public/loggedout.html"
        self.root = os.path.join(workdir, "lemon-app")

    def start(self, llng, processes):
        root = self.root
        for folder in ("protected", "public"):
            os.makedirs(os.path.join(root, "www", folder), exist_ok=True)
        pages = {
            "protected/index.html": "<!doctype html><title>app</title><p id=content>protected content</p>\n",
            # mod_auth_openidc hands the raw ID token to the page (OIDCPassIDTokenAs serialized).
            "protected/token.shtml": '<pre id=token><!--#echo encoding="none" var="OIDC_id_token" --></pre>\n',
            "public/loggedout.html": "<!doctype html><title>app</title><p id=content>logged out</p>\n",
        }
        for name, text in pages.items():
            with open(os.path.join(root, "www", name), "w") as f:
                f.write(text)
        self.error_log = os.path.join(root, "error.log")
        conf = apache_conf(
            root,
            self.port,
            "127.0.0.1",
            f"""
OIDCProviderMetadataURL {llng.discovery_url}
OIDCClientID {self.CLIENT_ID}
OIDCClientSecret {self.client_secret}
OIDCRedirectURI {self.redirect_uri}
OIDCCryptoPassphrase {secrets.token_hex(16)}
OIDCScope "openid email profile"
OIDCPassIDTokenAs claims payload serialized
""",
            # The raw ID token for the page (server-side includes); no-store, or Chromium may show
            # /protected/ from its cache once the session is gone.
            extra=f"""
LoadModule mime_module /usr/lib/apache2/modules/mod_mime.so
LoadModule include_module /usr/lib/apache2/modules/mod_include.so
LoadModule headers_module /usr/lib/apache2/modules/mod_headers.so
Header always set Cache-Control "no-store"
TypesConfig /etc/mime.types
<Directory {root}/www/protected>
  Options +Includes
  AddOutputFilter INCLUDES .shtml
</Directory>
""",
        )
        processes.start("lemon-app", ["/usr/sbin/apache2", "-f", conf, "-DFOREGROUND"], root)
        if not wait_until(lambda: requests.get(self.logged_out_uri, timeout=1).status_code == 200, 30):
            raise RuntimeError("the LemonLDAP::NG app (apache) did not start; see " + self.error_log)


def setup(env, workdir, processes):
    """Starts LemonLDAP::NG and its app, registers both sides; adds env["llng"], env["lemon_app"]."""
    logoutd = env["logoutd"]
    app = LemonApp(workdir, free_port())
    llng = LemonLDAP(
        workdir,
        processes,
        relying_parties=[
            RelyingParty(
                app.CLIENT_ID,
                client_secret=app.client_secret,
                redirect_uris=[app.redirect_uri],
                post_logout_redirect_uris=[app.logged_out_uri, logoutd.url + "/end-session/callback"],
                frontchannel_logout_uri=logoutd.url + "/frontchannel-logout/llng",
                bypass_logout_confirm=True,
            )
        ],
    )
    env["llng"], env["lemon_app"] = llng, app
    app.start(llng, processes)
    logoutd.must(
        "POST",
        "/admin/v1/issuers",
        {
            "name": "llng",
            "issuer": llng.issuer,
            "audience": "logoutd",
            "jwks_uri": llng.jwks_uri,
            "end_session_endpoint": llng.end_session_endpoint,
            "frontchannel_intake": True,
        },
    )
    logoutd.must(
        "POST",
        "/admin/v1/rps",
        {
            "client_id": app.CLIENT_ID,
            "backchannel_logout_uri": app.backchannel_uri,
            "signing": {"alg": "HS256", "client_secret": app.client_secret},
            "token_issuer": llng.issuer,
            "post_logout_redirect_uris": [app.logged_out_uri],
        },
    )


# ----------------------------------------------------------------------------------------------
# Chromium


def browser():
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = "/usr/bin/chromium"
    for arg in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu", "--no-first-run"):
        options.add_argument(arg)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(service=Service(executable_path="/usr/bin/chromedriver"), options=options)
    driver.set_page_load_timeout(30)
    return driver


def text_of(driver):
    return driver.execute_script("return document.body ? document.body.innerText : ''")


def wait_for(driver, predicate, what, timeout=20):
    if not wait_until(predicate, timeout):
        raise Check(f"timed out waiting for {what}; the browser is at {driver.current_url}: {text_of(driver)[:300]!r}")


def at_login_form(driver, llng):
    return driver.current_url.startswith(llng.portal) and 'name="user"' in driver.page_source


def log_in(driver, app, llng, user):
    """The app's protected page, through LemonLDAP::NG's login form; returns the app's ID token."""
    from selenium.webdriver.common.by import By

    driver.get(app.base + "/protected/")
    wait_for(driver, lambda: at_login_form(driver, llng), "LemonLDAP::NG's login form")
    driver.find_element(By.NAME, "user").send_keys(user)
    driver.find_element(By.NAME, "password").send_keys(user)  # the Demo backend's users
    driver.find_element(By.CSS_SELECTOR, "button[type=submit]").click()
    wait_for(driver, lambda: "protected content" in driver.page_source, "the app's protected page after login")
    driver.get(app.base + "/protected/token.shtml")
    token = text_of(driver).strip()
    expect(token.startswith("eyJ"), f"mod_auth_openidc passed no ID token: {token[:200]!r}")
    return token


def claims_of(token):
    return jwt.decode(token, options={"verify_signature": False})


def register_session(env, token):
    """What the app's login hook does: its session, under LemonLDAP::NG's sub and sid."""
    claims = claims_of(token)
    expect(claims.get("sid"), f"LemonLDAP::NG's ID token has no sid (see lemonldap.py): {sorted(claims)}")
    env["logoutd"].must(
        "POST",
        "/admin/v1/sessions",
        {
            "issuer": "llng",
            "sub": claims["sub"],
            "sid": claims["sid"],
            "client_id": LemonApp.CLIENT_ID,
            "rp_sub": claims["sub"],
            "rp_sid": claims["sid"],
        },
    )
    return claims


def app_session_ended(driver, app, llng):
    """The app no longer serves the page: mod_auth_openidc sends the browser to log in again."""
    driver.get(app.base + "/protected/")
    return wait_until(lambda: at_login_form(driver, llng), 10)


def delivered_for(env, source, since_id):
    events = [e for e in env["logoutd"].events() if e["id"] > since_id and e["source"] == source]
    if not events:
        return None
    deliveries = env["logoutd"].deliveries(event_id=events[0]["id"], client_id=LemonApp.CLIENT_ID)
    return deliveries[0] if deliveries and deliveries[0]["status"] == "delivered" else None


def last_event_id(env):
    events = env["logoutd"].events()
    return max((e["id"] for e in events), default=0)


# ----------------------------------------------------------------------------------------------
# Cases


def portal_logout(env, driver, app, llng, user):
    """Logs `user` in at the app, then out at LemonLDAP::NG's portal; checks the app heard of it."""
    from selenium.webdriver.common.by import By

    claims = register_session(env, log_in(driver, app, llng, user))
    since = last_event_id(env)
    driver.get(llng.portal + "?logout=1")
    wait_for(driver, lambda: delivered_for(env, "frontchannel", since), "logoutd's back-channel delivery", 30)
    event = [e for e in env["logoutd"].events() if e["id"] > since and e["source"] == "frontchannel"][0]
    expect(event["iss"] == llng.issuer and event["deliveries"] == 1, f"event: {event}")
    # FC-4: Chromium showed our page inside LemonLDAP::NG's (frame-ancestors names its origin).
    frames = [
        f
        for f in driver.find_elements(By.TAG_NAME, "iframe")
        if "/frontchannel-logout/llng" in (f.get_attribute("src") or "")
    ]
    expect(frames, f"no iframe of logoutd on LemonLDAP::NG's logout page: {driver.page_source[:300]!r}")
    driver.switch_to.frame(frames[0])
    shown = text_of(driver)
    driver.switch_to.default_content()
    expect("Signed out" in shown, f"the iframe does not show our page (framing refused?): {shown[:200]!r}")
    expect(app_session_ended(driver, app, llng), "the app still serves the page: its session survived")
    return claims


def test_lemonldap_portal_logout_reaches_apache(env):
    """A user logs out at LemonLDAP::NG's portal: its front-channel iframe reaches logoutd, which
    ends the app's session with a back-channel token (LemonLDAP::NG 2.16 sends none itself). Twice:
    LemonLDAP::NG's sid is the user's login, so the second session has the first one's sid."""
    llng, app = env["llng"], env["lemon_app"]
    driver = browser()
    try:
        first = portal_logout(env, driver, app, llng, "dwho")
        second = portal_logout(env, driver, app, llng, "dwho")
        expect(first["sid"] == second["sid"], f"LemonLDAP::NG now gives sessions their own sid: {first} {second}")
        expect(first["sid"] not in open(env["logoutd_log"]).read(), "the sid reached logoutd's journal")
    finally:
        driver.quit()


def test_lemonldap_browser_chain(env):
    """The app sends the browser to logoutd's /end-session with LemonLDAP::NG's ID token: the app is
    told by back-channel, LemonLDAP::NG's end-session ends the SSO session and returns to our
    callback, and the browser lands on the app's page with its state."""
    llng, app = env["llng"], env["lemon_app"]
    driver = browser()
    try:
        from selenium.webdriver.common.by import By

        token = log_in(driver, app, llng, "rtyler")
        register_session(env, token)
        since = last_event_id(env)
        query = urllib.parse.urlencode(
            {"id_token_hint": token, "post_logout_redirect_uri": app.logged_out_uri, "state": "s-42 ok"}
        )
        driver.get(env["logoutd"].url + "/end-session?" + query)
        # LemonLDAP::NG shows its iframes (ours among them) with a "Continue" button that its
        # script presses after 30 s; a person presses it sooner.
        wait_for(
            driver,
            lambda: driver.current_url.startswith(app.logged_out_uri)
            or driver.find_elements(By.CSS_SELECTOR, "#appsloggedout, .btn, button"),
            "LemonLDAP::NG's logout page or the app's page",
            30,
        )
        if not driver.current_url.startswith(app.logged_out_uri):
            buttons = [b for b in driver.find_elements(By.CSS_SELECTOR, "button, .btn, a") if b.is_displayed()]
            continued = [b for b in buttons if "continu" in (b.text or "").lower()]
            expect(continued, f"no Continue button on LemonLDAP::NG's page: {text_of(driver)[:300]!r}")
            continued[0].click()
        wait_for(driver, lambda: driver.current_url.startswith(app.logged_out_uri), "the app's logged-out page", 40)
        landed = urllib.parse.urlsplit(driver.current_url)
        expect(
            urllib.parse.parse_qs(landed.query).get("state") == ["s-42 ok"], f"the app's state was lost: {landed}"
        )
        expect(wait_until(lambda: delivered_for(env, "end-session", since), 20), "the app was not told by back-channel")
        expect(app_session_ended(driver, app, llng), "the app still serves the page, or LemonLDAP::NG did not ask for a login")
    finally:
        driver.quit()


TESTS = [test_lemonldap_portal_logout_reaches_apache, test_lemonldap_browser_chain]
