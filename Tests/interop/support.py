"""What the interop suite's modules share: waiting, checking, children, and Apache's config."""

import os
import socket
import subprocess
import time


def free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_until(predicate, timeout=15.0, interval=0.05):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if predicate():
                return True
        except Exception:
            pass
        time.sleep(interval)
    return predicate()


class Check(Exception):
    pass


def expect(condition, message):
    if not condition:
        raise Check(message)


class Processes:
    """Children started by the suite; all are stopped at the end, whatever happens."""

    def __init__(self):
        self.children = []

    def start(self, name, argv, workdir, env=None):
        log = open(os.path.join(workdir, name + ".log"), "ab")
        child = subprocess.Popen(argv, stdout=log, stderr=subprocess.STDOUT, cwd=workdir, env=env)
        self.children.append((name, child, log))
        return child

    def stop_all(self):
        for _, child, log in reversed(self.children):
            if child.poll() is None:
                child.terminate()
                try:
                    child.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    child.kill()
                    child.wait()
            log.close()


def apache_conf(root, port, server_name, oidc, extra=""):
    """An Apache httpd config with mod_auth_openidc protecting /protected/ (`oidc`: its OIDC*
    lines), its files under `root`, world-readable (Apache drops to www-data when run as root)."""
    modules = "/usr/lib/apache2/modules"
    user = "User www-data\nGroup www-data\n" if os.geteuid() == 0 else ""
    conf = os.path.join(root, "httpd.conf")
    with open(conf, "w") as f:
        f.write(
            f"""ServerName {server_name}
Listen 127.0.0.1:{port}
PidFile {root}/httpd.pid
ErrorLog {root}/error.log
LogLevel warn auth_openidc:info
LoadModule mpm_event_module {modules}/mod_mpm_event.so
LoadModule authz_core_module {modules}/mod_authz_core.so
LoadModule authz_user_module {modules}/mod_authz_user.so
LoadModule authn_core_module {modules}/mod_authn_core.so
LoadModule dir_module {modules}/mod_dir.so
LoadModule auth_openidc_module {modules}/mod_auth_openidc.so
{user}DocumentRoot {root}/www
DirectoryIndex index.html
{oidc.strip()}
{extra.strip()}
<Location /protected>
  AuthType openid-connect
  Require valid-user
</Location>
"""
        )
    for path, _, files in os.walk(root):
        os.chmod(path, 0o755)
        for name in files:
            os.chmod(os.path.join(path, name), 0o644)
    return conf
