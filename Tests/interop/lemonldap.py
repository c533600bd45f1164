"""LemonLDAP::NG (Debian 12's 2.16 packages) as a real OpenID provider on loopback.

    processes = interop.Processes()
    llng = LemonLDAP(workdir, processes, relying_parties=[
        RelyingParty("app", client_secret="s3cret",
                     redirect_uris=["http://app.llng.test:8081/protected/redirect_uri"],
                     post_logout_redirect_uris=["http://app.llng.test:8081/bye"],
                     frontchannel_logout_uri="http://127.0.0.1:8082/frontchannel-logout/llng"),
    ], extra_hosts=["app.llng.test"])
    ...                     # llng.issuer, llng.discovery, llng.end_session_endpoint, ...
    processes.stop_all()    # stops nginx and the FastCGI server (children of `processes`)
    llng.close()            # removes this run's /etc/hosts lines (idempotent)

Nothing under /etc/lemonldap-ng or /var/lib/lemonldap-ng is read or written: the harness writes its own
lemonldap-ng.ini and File configuration backend (lmConf-1.json) under <workdir>/llng/ and points the
FastCGI server at them with LLNG_DEFAULTCONFFILE (read by Lemonldap::NG::Common::Conf::getLocalConf).

Needs the Debian packages in APT_PACKAGES (lemonldap-ng, lemonldap-ng-fastcgi-server, nginx, and three
Recommends of LLNG: libgd-securityimage-perl, libimage-magick-perl, libstring-random-perl) and the
Python packages requests and cryptography. Run as root: /etc/hosts is edited (only lines carrying MARKER), and
llng-fastcgi-server refuses to run as root, so it is started with -u www-data -g www-data.

Facts about LLNG 2.16 this module works around or exposes (checked in /usr/share/perl5/Lemonldap/NG):
  * ID tokens have no `sid` claim of their own (Issuer/OpenIDConnect.pm _generateIDToken). The
    front-channel logout iframe's `sid` is getUserIDForRP(), i.e. the same value as `sub`
    (oidcRPMetaDataOptionsUserIDAttr || whatToTrace). With sid_claim=True (default) the RP gets a
    `sid` claim in its ID token from an exported variable mapped to that same attribute, and
    oidcRPMetaDataOptionsIDTokenForceClaims=1 (otherwise the code flow's ID token carries no user
    claims at all). So `sid` == `sub` == the user's login: one value for all of a user's sessions.
  * The portal's CSP has no frame-src/child-src option; the logout page adds
    `child-src <host:port of each iframe> 'self'` by itself (Portal/Main/Run.pm sendHtml).
  * Front-channel iframes go only to RPs that redeemed a code in this SSO session
    (_oidcConnectedRP, set at the token endpoint), as <LogoutUrl>?iss=<issuer>&sid=<sub>.
  * end_session with a post_logout_redirect_uri: if any iframe is due, LLNG answers 200 with an
    "Information" page holding the iframes and a GET form to <uri>?state=..., submitted by
    info.js after a hard-coded 30 s (or a click on "Continue"); with no iframe due it 302s.
    Tests/interop/lemonldap_cases.py drives it in Chromium; docs/interop.md lists what it does differently.

submit_login_form(session, page, user) logs in through the portal's form with requests (no browser).
"""

import base64
import dataclasses
import hashlib
import html.parser
import json
import os
import pwd
import subprocess
import time
import urllib.parse

import requests

from support import free_port

MARKER = "# logoutd-interop-llng"
HOSTS_FILE = "/etc/hosts"
PORTAL_HTDOCS = "/usr/share/lemonldap-ng/portal/htdocs"
FASTCGI_SERVER = "/usr/sbin/llng-fastcgi-server"
NGINX = "/usr/sbin/nginx"
# What Debian must provide (the last three are Recommends, missing after --no-install-recommends).
APT_PACKAGES = (
    "lemonldap-ng",
    "lemonldap-ng-fastcgi-server",
    "nginx",
    "libgd-securityimage-perl",
    "libimage-magick-perl",
    "libstring-random-perl",
)
DEMO_USERS = {"dwho": "dwho", "rtyler": "rtyler", "msmith": "msmith"}  # Demo backend: password = login


def _pid_alive(pid):
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


# ----------------------------------------------------------------------------------------------
# /etc/hosts: only lines ending in "MARKER pid=N" are ever touched.


def _rewrite_hosts(keep):
    """Rewrites /etc/hosts in place (it may be a bind mount, so no rename), keeping lines for which
    keep(line) is true. Returns the kept lines."""
    with open(HOSTS_FILE, "r+") as f:
        lines = f.read().splitlines()
        kept = [line for line in lines if keep(line)]
        if kept != lines:
            f.seek(0)
            f.write("".join(line + "\n" for line in kept))
            f.truncate()
    return kept


def _marked_pid(line):
    if MARKER not in line:
        return None
    tail = line.split(MARKER, 1)[1].strip()
    if tail.startswith("pid="):
        try:
            return int(tail[4:])
        except ValueError:
            return -1
    return -1


def hosts_add(names, owner_pid=None):
    """Maps names to 127.0.0.1. Drops marked lines of runs whose process is gone (a crashed run) and
    earlier lines of this process, so calling it twice is harmless."""
    owner_pid = owner_pid or os.getpid()

    def keep(line):
        pid = _marked_pid(line)
        return pid is None or (pid != owner_pid and pid > 0 and _pid_alive(pid))

    _rewrite_hosts(keep)
    if names:
        with open(HOSTS_FILE) as f:
            text = f.read()
        with open(HOSTS_FILE, "a") as f:
            if text and not text.endswith("\n"):
                f.write("\n")
            f.write(f"127.0.0.1 {' '.join(names)} {MARKER} pid={owner_pid}\n")


def hosts_remove(owner_pid=None):
    """Removes this process's marked lines (and those of dead runs). Idempotent."""
    owner_pid = owner_pid or os.getpid()

    def keep(line):
        pid = _marked_pid(line)
        return pid is None or (pid != owner_pid and pid > 0 and _pid_alive(pid))

    _rewrite_hosts(keep)


# ----------------------------------------------------------------------------------------------
# Logging in without a browser


class _Forms(html.parser.HTMLParser):
    def __init__(self):
        super().__init__()
        self.forms = []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "form":
            self.forms.append({"action": attrs.get("action"), "method": (attrs.get("method") or "get").lower(), "inputs": {}})
        elif tag == "input" and self.forms and attrs.get("name"):
            self.forms[-1]["inputs"][attrs["name"]] = attrs.get("value") or ""


def submit_login_form(session, page, user, password=None, timeout=10):
    """Fills LLNG's login form found in `page` (a requests.Response showing the portal's login page,
    e.g. what /oauth2/authorize answers without an SSO cookie) and POSTs it with `session`, keeping
    the hidden fields (token, url, skin...). Returns the response, redirects not followed: a 302 to
    the RP's redirect_uri?code=... on success. The Demo backend's password is the login."""
    parser = _Forms()
    parser.feed(page.text)
    form = next((f for f in parser.forms if "user" in f["inputs"] and "password" in f["inputs"]), None)
    if form is None:
        raise RuntimeError(f"no LLNG login form at {page.url} (status {page.status_code}): {page.text[:300]!r}")
    data = dict(form["inputs"], user=user, password=password if password is not None else DEMO_USERS.get(user, user))
    action = urllib.parse.urljoin(page.url, form["action"] or page.url)
    return session.post(action, data=data, allow_redirects=False, timeout=timeout)


# ----------------------------------------------------------------------------------------------


@dataclasses.dataclass
class RelyingParty:
    """One OIDC relying party (an `oidcRPMetaDataOptions` entry). `name` is LLNG's internal key."""

    name: str
    client_secret: str
    redirect_uris: list
    client_id: str = None  # defaults to name
    post_logout_redirect_uris: list = dataclasses.field(default_factory=list)
    frontchannel_logout_uri: str = None  # oidcRPMetaDataOptionsLogoutUrl (type "front")
    frontchannel_session_required: bool = True  # adds iss= and sid= to the iframe URL
    bypass_logout_confirm: bool = True  # oidcRPMetaDataOptionsLogoutBypassConfirm
    bypass_consent: bool = True  # oidcRPMetaDataOptionsBypassConsent
    sid_claim: bool = True  # add a `sid` claim (== the front-channel sid, see module doc)
    id_token_alg: str = "RS256"
    public: bool = False
    require_pkce: bool = False
    extra_options: dict = dataclasses.field(default_factory=dict)  # raw oidcRPMetaDataOptions* keys

    def __post_init__(self):
        self.client_id = self.client_id or self.name
        self.redirect_uris = list(self.redirect_uris)
        self.post_logout_redirect_uris = list(self.post_logout_redirect_uris)


class LemonLDAP:
    """LemonLDAP::NG portal with its OpenID Connect issuer, behind its own nginx on 127.0.0.1.

    Attributes once constructed: port, portal (URL with trailing slash), issuer (no trailing
    slash), discovery_url, discovery (the parsed document), authorization_endpoint,
    token_endpoint, userinfo_endpoint, jwks_uri, end_session_endpoint, kid, public_key_pem,
    private_key_pem, root (<workdir>/llng), ini_path, conf_path (lmConf-1.json), log paths
    fastcgi_log, nginx_log, nginx_error_log, startup_seconds, relying_parties (name -> RelyingParty).
    """

    USER_ID_ATTR = "_whatToTrace"  # session key holding whatToTrace's value (the login for Demo)

    def __init__(
        self,
        workdir,
        processes,
        relying_parties=(),
        host="auth.llng.test",
        domain="llng.test",
        extra_hosts=(),
        port=None,
        log_level="notice",
        nproc=2,
        timeout=60.0,
        extra_conf=None,
        manage_hosts=True,
    ):
        self.workdir = os.path.abspath(workdir)
        self.host = host
        self.domain = domain
        self.port = port or free_port()
        self.portal = f"http://{host}:{self.port}/"
        self.issuer = f"http://{host}:{self.port}"
        self.discovery_url = self.issuer + "/.well-known/openid-configuration"
        self.relying_parties = {}
        for rp in relying_parties:
            rp = rp if isinstance(rp, RelyingParty) else RelyingParty(**rp)
            self.relying_parties[rp.name] = rp
        self.root = os.path.join(self.workdir, "llng")
        self.ini_path = os.path.join(self.root, "lemonldap-ng.ini")
        self.conf_dir = os.path.join(self.root, "conf")
        self.conf_path = os.path.join(self.conf_dir, "lmConf-1.json")
        self.socket_path = os.path.join(self.root, "run", "llng-fastcgi.sock")
        self.fastcgi_log = os.path.join(self.workdir, "llng-fastcgi.log")
        self.nginx_log = os.path.join(self.workdir, "llng-nginx.log")
        self.nginx_error_log = os.path.join(self.root, "nginx", "error.log")
        self.nginx_access_log = os.path.join(self.root, "nginx", "access.log")
        self._hosts_added = False

        for path in (FASTCGI_SERVER, NGINX, PORTAL_HTDOCS):
            if not os.path.exists(path):
                raise RuntimeError(
                    f"{path} is missing: apt-get install {' '.join(APT_PACKAGES)}"
                )
        # Recommends of the LLNG packages that this setup cannot do without (an install with
        # --no-install-recommends lacks them, and every portal request then fails with
        # "Initialization failed"): the portal always loads its captcha plugin (Portal/Main/Init.pm:
        # conf captcha || ::Captcha::SecurityImage -> `use GD::SecurityImage use_magick => 1`), and
        # Issuer/OpenIDConnect.pm does `use String::Random`.
        probe = subprocess.run(
            ["perl", "-e", "use GD::SecurityImage use_magick => 1; use String::Random;"],
            capture_output=True,
            text=True,
        )
        if probe.returncode != 0:
            raise RuntimeError(
                "LemonLDAP::NG's portal needs Perl modules from Debian packages that are only Recommends: "
                f"apt-get install {' '.join(APT_PACKAGES)}\n" + probe.stderr[-500:]
            )

        started = time.monotonic()
        self._make_dirs()
        self._make_keys()
        self._write_ini(log_level)
        self._write_conf(extra_conf or {})
        self._write_nginx_conf()
        self._fix_permissions()
        self.prepare_seconds = time.monotonic() - started
        if manage_hosts:
            hosts_add([host] + [h for h in extra_hosts if h != host])
            self._hosts_added = True
        try:
            self._start(processes, nproc, timeout)
        except BaseException:
            self.close()  # the caller has no object to close: drop the /etc/hosts lines now
            raise

    def _start(self, processes, nproc, timeout):
        started = time.monotonic()
        env = dict(os.environ)
        env.update(
            LLNG_DEFAULTCONFFILE=self.ini_path,  # read by Lemonldap::NG::Common::Conf::getLocalConf
            LLNG_DEFAULTLOGGER="Lemonldap::NG::Common::Logger::Std",  # stderr, i.e. fastcgi_log
        )
        env.pop("USER", None)  # without --user, llng-fastcgi-server would setuid to $USER
        argv = [
            FASTCGI_SERVER,
            "--foreground",
            "--proc", str(nproc),
            "--socket", self.socket_path,
            "--pid", os.path.join(self.root, "run", "llng-fastcgi.pid"),
        ]
        if os.geteuid() == 0:  # "Refuse to run as root. Aborting"
            argv += ["--user", "www-data", "--group", "www-data"]
        self.fastcgi = processes.start("llng-fastcgi", argv, self.workdir, env=env)
        self.nginx = processes.start(
            "llng-nginx",
            [NGINX, "-e", self.nginx_error_log, "-c", self.nginx_conf, "-g", "daemon off;"],
            self.workdir,
        )

        self.discovery = self._wait_for_discovery(timeout)
        self.startup_seconds = self.prepare_seconds + (time.monotonic() - started)
        for key in (
            "authorization_endpoint",
            "token_endpoint",
            "userinfo_endpoint",
            "jwks_uri",
            "end_session_endpoint",
            "introspection_endpoint",
        ):
            setattr(self, key, self.discovery.get(key))
        if self.discovery.get("issuer") != self.issuer:
            raise RuntimeError(
                f"LLNG announces issuer {self.discovery.get('issuer')!r}, expected {self.issuer!r}; see {self.conf_path}"
            )

    # ------------------------------------------------------------------------------------------

    def close(self):
        """Removes the /etc/hosts lines this run added. Processes are stopped by processes.stop_all()."""
        if self._hosts_added:
            hosts_remove()
            self._hosts_added = False

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def logs_hint(self):
        return f"see {self.fastcgi_log}, {self.nginx_log}, {self.nginx_error_log}"

    def tail_logs(self, lines=30):
        out = []
        for path in (self.fastcgi_log, self.nginx_log, self.nginx_error_log):
            try:
                with open(path, errors="replace") as f:
                    out.append(f"--- {path}\n" + "".join(f.readlines()[-lines:]))
            except OSError:
                pass
        return "\n".join(out)

    # ------------------------------------------------------------------------------------------

    @staticmethod
    def _read(path):
        try:
            with open(path, errors="replace") as f:
                return f.read()
        except OSError:
            return ""

    def _first_errors(self, count=12):
        lines = [l for l in self._read(self.fastcgi_log).splitlines() if "[error]" in l or "Can't locate" in l]
        return "\n".join(lines[:count])

    def _make_dirs(self):
        for sub in (
            "conf",
            "sessions/lock",
            "psessions/lock",
            "notifications",
            "cache",
            "captcha",
            "run",
            "nginx/tmp",
        ):
            os.makedirs(os.path.join(self.root, sub), exist_ok=True)

    def _make_keys(self):
        from cryptography.hazmat.primitives import serialization
        from cryptography.hazmat.primitives.asymmetric import rsa

        key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        self.private_key_pem = key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.TraditionalOpenSSL,  # "BEGIN RSA PRIVATE KEY", as LLNG's manager makes
            serialization.NoEncryption(),
        ).decode()
        self.public_key_pem = (
            key.public_key()
            .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
            .decode()
        )
        der = key.public_key().public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
        self.kid = "llng-" + base64.urlsafe_b64encode(hashlib.sha256(der).digest()[:9]).decode()

    def _write_ini(self, log_level):
        with open(self.ini_path, "w") as f:
            f.write(
                f"""; written by Tests/interop/lemonldap.py
[all]
logLevel = {log_level}
logger = Lemonldap::NG::Common::Logger::Std
userLogger = Lemonldap::NG::Common::Logger::Std
checkTime = 1

[configuration]
type = File
dirName = {self.conf_dir}
prettyPrint = 1

[portal]
staticPrefix = /static
templateDir = /usr/share/lemonldap-ng/portal/templates
languages = en

[handler]
status = 0
useRedirectOnError = 1
"""
            )

    def _rp_conf(self, rp):
        options = {
            "oidcRPMetaDataOptionsClientID": rp.client_id,
            "oidcRPMetaDataOptionsClientSecret": rp.client_secret,
            "oidcRPMetaDataOptionsPublic": int(rp.public),
            "oidcRPMetaDataOptionsRequirePKCE": int(rp.require_pkce),
            "oidcRPMetaDataOptionsRedirectUris": " ".join(rp.redirect_uris),
            "oidcRPMetaDataOptionsPostLogoutRedirectUris": " ".join(rp.post_logout_redirect_uris),
            "oidcRPMetaDataOptionsIDTokenSignAlg": rp.id_token_alg,
            "oidcRPMetaDataOptionsAccessTokenSignAlg": "RS256",
            "oidcRPMetaDataOptionsUserInfoSignAlg": "",
            "oidcRPMetaDataOptionsBypassConsent": int(rp.bypass_consent),
            "oidcRPMetaDataOptionsLogoutBypassConfirm": int(rp.bypass_logout_confirm),
            "oidcRPMetaDataOptionsIDTokenForceClaims": int(rp.sid_claim),
            "oidcRPMetaDataOptionsUserIDAttr": self.USER_ID_ATTR,
            "oidcRPMetaDataOptionsDisplayName": rp.name,
        }
        if rp.frontchannel_logout_uri:
            options.update(
                oidcRPMetaDataOptionsLogoutUrl=rp.frontchannel_logout_uri,
                oidcRPMetaDataOptionsLogoutType="front",
                oidcRPMetaDataOptionsLogoutSessionRequired=int(rp.frontchannel_session_required),
            )
        options.update(rp.extra_options)
        exported = {
            "email": "mail",
            "name": "cn",
            "preferred_username": "uid",
        }
        if rp.sid_claim:
            # The iframe's sid is getUserIDForRP(); export the very same attribute as `sid`.
            exported["sid"] = self.USER_ID_ATTR
        return options, exported

    def _write_conf(self, extra_conf):
        options, exported = {}, {}
        for name, rp in self.relying_parties.items():
            options[name], exported[name] = self._rp_conf(rp)
        r = self.root
        conf = {
            "cfgNum": 1,
            "cfgVersion": "2.16.1",
            "cfgAuthor": "logoutd interop harness",
            "cfgDate": str(int(time.time())),
            "authentication": "Demo",
            "userDB": "Same",
            "passwordDB": "Null",
            "registerDB": "Null",  # "Demo" loads Plugins::Register -> Lib::SMTP -> MIME::Entity (not installed)
            "demoExportedVars": {"cn": "cn", "mail": "mail", "uid": "uid"},
            "exportedVars": {},
            "macros": {
                "_whatToTrace": "$_auth eq 'SAML' ? lc($_user.'@'.$_idpConfKey) : "
                "$_auth eq 'OpenIDConnect' ? lc($_user.'@'.$_oidc_OP) : lc($_user)"
            },
            "whatToTrace": "_whatToTrace",
            "groups": {},
            "domain": self.domain,
            "portal": self.portal,
            "https": 0,
            "securedCookie": 0,
            "cookieName": "lemonldap",
            "portalSkin": "bootstrap",
            "timeout": 72000,
            "globalStorage": "Apache::Session::File",
            "globalStorageOptions": {
                "Directory": f"{r}/sessions",
                "LockDirectory": f"{r}/sessions/lock",
                "generateModule": "Lemonldap::NG::Common::Apache::Session::Generate::SHA256",
            },
            "localSessionStorage": "Cache::FileCache",
            "localSessionStorageOptions": {
                "cache_depth": 3,
                "cache_root": f"{r}/cache",
                "default_expires_in": 600,
                "directory_umask": "007",
                "namespace": "lemonldap-ng-sessions",
            },
            "persistentStorage": "Apache::Session::File",
            "persistentStorageOptions": {"Directory": f"{r}/psessions", "LockDirectory": f"{r}/psessions/lock"},
            "notification": 0,
            "notificationStorage": "File",
            "notificationStorageOptions": {"dirName": f"{r}/notifications"},
            "loginHistoryEnabled": 0,
            "locationRules": {self.host: {"default": "accept"}},
            "exportedHeaders": {},
            "applicationList": {},
            "reloadUrls": {},
            # OpenID Connect provider
            "issuerDBOpenIDConnectActivation": 1,
            "issuerDBOpenIDConnectPath": "^/oauth2/",
            "issuerDBOpenIDConnectRule": 1,
            "oidcServiceMetaDataIssuer": self.issuer,
            "oidcServicePrivateKeySig": self.private_key_pem,
            "oidcServicePublicKeySig": self.public_key_pem,
            "oidcServiceKeyIdSig": self.kid,
            "oidcServiceAllowAuthorizationCodeFlow": 1,
            "oidcServiceAllowImplicitFlow": 0,
            "oidcServiceAllowHybridFlow": 0,
            "oidcServiceIgnoreScopeForClaims": 1,
            "oidcRPMetaDataOptions": options,
            "oidcRPMetaDataExportedVars": exported,
            "oidcRPMetaDataOptionsExtraClaims": {},
            "oidcRPMetaDataMacros": {},
            "oidcRPMetaDataScopeRules": {},
        }
        conf.update(extra_conf)
        with open(self.conf_path, "w") as f:
            json.dump(conf, f, indent=2, sort_keys=True)

    def _write_nginx_conf(self):
        r = self.root
        self.nginx_conf = os.path.join(r, "nginx", "nginx.conf")
        user = "user www-data www-data;" if os.geteuid() == 0 else ""
        with open(self.nginx_conf, "w") as f:
            f.write(
                f"""# written by Tests/interop/lemonldap.py (modelled on /etc/lemonldap-ng/portal-nginx.conf)
{user}
worker_processes 1;
pid {r}/nginx/nginx.pid;
error_log {self.nginx_error_log} warn;
events {{ worker_connections 256; }}
http {{
  include /etc/nginx/mime.types;
  default_type application/octet-stream;
  access_log {self.nginx_access_log};
  client_body_temp_path {r}/nginx/tmp/body;
  fastcgi_temp_path {r}/nginx/tmp/fastcgi;
  proxy_temp_path {r}/nginx/tmp/proxy;
  scgi_temp_path {r}/nginx/tmp/scgi;
  uwsgi_temp_path {r}/nginx/tmp/uwsgi;

  upstream llng_portal_upstream {{
    server unix:{self.socket_path};
  }}

  server {{
    listen 127.0.0.1:{self.port};
    server_name {self.host};
    root {PORTAL_HTDOCS}/;

    if ($uri !~ ^/((static|javascript|favicon).*|.*\\.psgi)) {{
      rewrite ^/(.*)$ /index.psgi/$1 break;
    }}

    location ~ ^(?<sc>/.*\\.psgi)(?:$|/) {{
      # The Content-Security-Policy header is generated by the portal itself
      include /etc/nginx/fastcgi_params;
      fastcgi_pass llng_portal_upstream;
      fastcgi_param HTTP_HOST $http_host;
      fastcgi_param LLTYPE psgi;
      fastcgi_param SCRIPT_FILENAME $document_root$fastcgi_script_name;
      fastcgi_split_path_info ^(.*\\.psgi)(/.*)$;
      fastcgi_param PATH_INFO $fastcgi_path_info;
      location ~ ^/index.psgi/(adminSessions|proxy|sessions|config|notification) {{
        deny all;
      }}
    }}

    index index.psgi;
    location / {{
      try_files $uri $uri/ =404;
    }}
    location /static/ {{
      alias {PORTAL_HTDOCS}/static/;
    }}
    location /javascript/ {{
      alias /usr/share/javascript/;
    }}
  }}
}}
"""
            )

    def _fix_permissions(self):
        """The FastCGI server and nginx's workers run as www-data: they must reach and read the
        tree, and write sessions, caches, the socket and nginx's temp files."""
        if os.geteuid() != 0:
            return
        www = pwd.getpwnam("www-data")
        path = self.root
        while True:  # every ancestor must be traversable
            mode = os.stat(path).st_mode & 0o7777
            if mode & 0o001 == 0:
                os.chmod(path, mode | 0o711)
            parent = os.path.dirname(path)
            if parent == path:
                break
            path = parent
        for path, dirs, files in os.walk(self.root):
            os.chown(path, www.pw_uid, www.pw_gid)
            os.chmod(path, 0o750)
            for name in files:
                p = os.path.join(path, name)
                os.chown(p, www.pw_uid, www.pw_gid)
                os.chmod(p, 0o640)

    def _wait_for_discovery(self, timeout):
        deadline = time.monotonic() + timeout
        last = None
        init_failures = 0
        while time.monotonic() < deadline:
            for name, child, log in (
                ("llng-fastcgi-server", self.fastcgi, self.fastcgi_log),
                ("nginx", self.nginx, self.nginx_error_log),
            ):
                if child.poll() is not None:
                    raise RuntimeError(
                        f"LemonLDAP::NG: {name} exited with status {child.returncode}; see {log}\n"
                        + self.tail_logs()
                    )
            if not os.path.exists(self.socket_path):  # the FastCGI server is still compiling
                time.sleep(0.1)
                continue
            try:
                r = requests.get(self.discovery_url, timeout=5)
                if r.status_code == 200 and r.headers.get("Content-Type", "").startswith("application/json"):
                    return r.json()
                last = f"{r.status_code} {r.text[:200]!r}"
                if r.status_code == 500:
                    init_failures += 1
                    if init_failures >= 10 and "Initialization failed" in self._read(self.fastcgi_log):
                        raise RuntimeError(
                            "LemonLDAP::NG's portal failed to initialize (its first [error] lines in "
                            f"{self.fastcgi_log} say why):\n" + self._first_errors()
                        )
            except requests.RequestException as e:
                last = repr(e)
            time.sleep(0.2)
        raise RuntimeError(
            f"LemonLDAP::NG did not serve {self.discovery_url} within {timeout:.0f}s (last: {last}); "
            + self.logs_hint()
            + "\n"
            + self.tail_logs()
        )
