"""Building blocks of Benchmarks/bench.py: tokens, the daemon, nginx RPs, hanging RPs, load
generators (wrk for saturation, an open-loop asyncio generator for fixed rates), percentiles."""
import asyncio
import base64
import hashlib
import hmac
import json
import multiprocessing
import os
import shutil
import socket
import sqlite3
import subprocess
import threading
import time
import urllib.request

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa, utils

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
HS_SECRET = b"bench-shared-secret-of-32-bytes!!"
ISSUERS = {"ES256": "https://es.bench", "RS256": "https://rs.bench", "HS256": "https://app.bench"}


def b64(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def b64int(value, size):
    return b64(value.to_bytes(size, "big"))


class Keys:
    """The benchmark IdPs' keys: one ES256 and one RS256 issuer (inline JWKS), one HS256 app."""

    def __init__(self, folder):
        es_path, rs_path = os.path.join(folder, "es.pem"), os.path.join(folder, "rs.pem")
        if not os.path.exists(es_path):
            es = ec.generate_private_key(ec.SECP256R1())
            rs = rsa.generate_private_key(public_exponent=65537, key_size=2048)
            for key, path in ((es, es_path), (rs, rs_path)):
                with open(path, "wb") as f:
                    f.write(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                              serialization.NoEncryption()))
        self.es_path, self.rs_path = es_path, rs_path

    def jwks(self, alg):
        key = load(self.es_path if alg == "ES256" else self.rs_path)
        numbers = key.public_key().public_numbers()
        if alg == "ES256":
            jwk = {"kty": "EC", "crv": "P-256", "x": b64int(numbers.x, 32), "y": b64int(numbers.y, 32)}
        else:
            jwk = {"kty": "RSA", "n": b64int(numbers.n, 256), "e": b64int(numbers.e, 3)}
        return {"keys": [dict(jwk, kid=alg.lower() + "-1", alg=alg, use="sig")]}


def load(path):
    with open(path, "rb") as f:
        return serialization.load_pem_private_key(f.read(), None)


def _sign_range(args):
    alg, path, prefix, start, stop, subjects = args
    key = load(path) if alg != "HS256" else None
    header = {"alg": alg, "typ": "logout+jwt" if alg != "HS256" else "JWT"}
    if alg != "HS256":
        header["kid"] = alg.lower() + "-1"
    head = b64(json.dumps(header, separators=(",", ":")).encode())
    now = int(time.time())
    out = []
    for i in range(start, stop):
        claims = {"aud": "logoutd", "iat": now, "jti": f"{prefix}-{i}", "sub": f"{prefix}-u{i % subjects}",
                  "events": {"http://schemas.openid.net/event/backchannel-logout": {}}}
        if alg != "HS256":
            claims.update(iss=ISSUERS[alg], exp=now + 3600)
        body = f"{head}.{b64(json.dumps(claims, separators=(',', ':')).encode())}".encode()
        if alg == "HS256":
            signature = hmac.new(HS_SECRET, body, hashlib.sha256).digest()
        elif alg == "RS256":
            signature = key.sign(body, padding.PKCS1v15(), hashes.SHA256())
        else:
            r, s = utils.decode_dss_signature(key.sign(body, ec.ECDSA(hashes.SHA256())))
            signature = r.to_bytes(32, "big") + s.to_bytes(32, "big")
        out.append(f"{body.decode()}.{b64(signature)}")
    return out


def make_tokens(keys, alg, count, prefix, subjects=1_000_000):
    """`count` distinct, validly signed logout tokens (unique jti and subject unless `subjects` is
    smaller), made on every core before the measurement starts."""
    path = keys.es_path if alg == "ES256" else keys.rs_path
    workers = os.cpu_count() or 1
    step = (count + workers - 1) // workers
    chunks = [(alg, path, prefix, i, min(count, i + step), subjects) for i in range(0, count, step)]
    with multiprocessing.Pool(workers) as pool:
        return [token for part in pool.map(_sign_range, chunks) for token in part]


_next_port = [20_000 + (os.getpid() * 7919) % 12_000]


def machine_cpu_ticks():
    """(busy, total) clock ticks of every core since boot, from /proc/stat: the share of the
    machine's CPU in use over an interval, the daemon, the load generator and nginx together."""
    with open("/proc/stat") as f:
        fields = [int(v) for v in f.readline().split()[1:]]
    idle = fields[3] + fields[4]  # idle and iowait
    return sum(fields) - idle, sum(fields)


def free_port():
    """A loopback port below the kernel's ephemeral range (32768 and up), never handed out twice:
    a port picked by binding to 0 is ephemeral, and the source port of any outgoing connection
    (logoutd's to its RPs, wrk's) could take it before nginx or logoutd binds it."""
    while True:
        port = _next_port[0]
        _next_port[0] = 20_000 if port >= 32_000 else port + 1
        with socket.socket() as s:
            try:
                s.bind(("127.0.0.1", port))
                return port
            except OSError:
                continue


def percentiles(values, points=(50, 99, 99.9)):
    if not values:
        return {f"p{p:g}": None for p in points}
    ordered = sorted(values)
    return {f"p{p:g}": ordered[min(len(ordered) - 1, int(len(ordered) * p / 100))] for p in points}


class Daemon:
    """The release binary on loopback with a fresh database in `folder`."""

    # `delivery:` lines every daemon of the run gets (bench.py --delivery), before its own.
    delivery_for_all = ()

    def __init__(self, binary, folder, extra_delivery=(), wrapper=(), ready_within=60, extra=""):
        self.binary, self.folder = binary, folder
        # A wrapper (valgrind) runs the daemon inside it and needs longer to become ready.
        self.wrapper, self.ready_within = list(wrapper), ready_within
        os.makedirs(folder, exist_ok=True)
        self.public, self.admin_port = free_port(), free_port()
        self.url = f"http://127.0.0.1:{self.public}"
        self.db = os.path.join(folder, "data", "logoutd.sqlite3")
        delivery = "\n".join("  " + line for line in tuple(Daemon.delivery_for_all) + tuple(extra_delivery))
        with open(os.path.join(folder, "logoutd.yaml"), "w") as f:
            f.write(f"""issuer: "{self.url}"
public:
  listen: "127.0.0.1:{self.public}"
admin:
  listen: "127.0.0.1:{self.admin_port}"
  token_file: "admin-token"
database:
  path: "data/logoutd.sqlite3"
keys:
  dir: "keys"
delivery:
  allow_private_networks: true
{delivery}
log:
  level: "warning"
{extra}
""")
        self.process = None
        self.peak_rss = 0

    def start(self):
        """Starts the daemon; returns seconds until /readyz answered 200."""
        started = time.monotonic()
        log = open(os.path.join(self.folder, "logoutd.log"), "ab")
        self.process = subprocess.Popen(
            self.wrapper + [self.binary, "serve", "--config", os.path.join(self.folder, "logoutd.yaml")],
            stdout=log, stderr=log, cwd=self.folder)
        while time.monotonic() - started < self.ready_within:
            if self.process.poll() is not None:
                raise RuntimeError("logoutd exited; see " + os.path.join(self.folder, "logoutd.log"))
            try:
                with urllib.request.urlopen(self.url + "/readyz", timeout=1) as r:
                    if r.status == 200:
                        elapsed = time.monotonic() - started
                        self.token = open(os.path.join(self.folder, "admin-token")).read().strip()
                        self._sampler = threading.Thread(target=self._sample, daemon=True)
                        self._sampler.start()
                        return elapsed
            except OSError:
                pass
            time.sleep(0.02)
        raise RuntimeError("logoutd did not become ready")

    def _sample(self):
        while self.process and self.process.poll() is None:
            self.peak_rss = max(self.peak_rss, self.rss())
            time.sleep(0.2)

    def _status(self, field):
        """A memory line of /proc/PID/status, in bytes (None once the process is gone)."""
        try:
            with open(f"/proc/{self.process.pid}/status") as f:
                for line in f:
                    if line.startswith(field + ":"):
                        return int(line.split()[1]) * 1024
        except (OSError, AttributeError):
            pass
        return None

    def rss(self):
        """Resident memory now, in bytes (0 once stopped)."""
        return self._status("VmRSS") or 0

    def high_water_rss(self):
        return self._status("VmHWM") or self.peak_rss

    def cpu_seconds(self):
        """User + system CPU the daemon has used so far (all its threads). Less at the mercy of
        the machine's mood than a rate: the figure to compare a change by."""
        return sum(self.cpu_split())

    def cpu_split(self):
        """(user, system) CPU seconds so far: the kernel's share (sockets, fsync, futex wake-ups
        between threads) is invisible to an instruction count."""
        with open(f"/proc/{self.process.pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        tick = os.sysconf("SC_CLK_TCK")
        return int(fields[11]) / tick, int(fields[12]) / tick

    def stop(self):
        if self.process and self.process.poll() is None:
            self.peak_rss = max(self.peak_rss, self.high_water_rss())
            self.process.terminate()
            try:
                self.process.wait(30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()

    def admin(self, method, path, body=None):
        request = urllib.request.Request(
            f"http://127.0.0.1:{self.admin_port}{path}", method=method,
            data=None if body is None else json.dumps(body).encode(),
            headers={"Authorization": "Bearer " + self.token, "Content-Type": "application/json"})
        with urllib.request.urlopen(request, timeout=30) as r:
            text = r.read()
            return json.loads(text) if text else None

    def register_issuers(self, keys):
        for alg in ("ES256", "RS256"):
            self.admin("POST", "/admin/v1/issuers", {"name": alg.lower(), "issuer": ISSUERS[alg],
                                                     "audience": "logoutd", "jwks": keys.jwks(alg)})
        self.admin("POST", "/admin/v1/issuers", {"name": "app", "issuer": ISSUERS["HS256"], "audience": "logoutd",
                                                 "shared_secret": HS_SECRET.decode()})

    def query(self, sql, args=()):
        connection = sqlite3.connect(f"file:{self.db}?mode=ro", uri=True, timeout=30)
        try:
            return connection.execute(sql, args).fetchall()
        finally:
            connection.close()


def path_for(alg):
    return "/backchannel-logout/app" if alg == "HS256" else "/backchannel-logout"


class Nginx:
    """RPs (or the ceiling's target): one nginx with a server per port answering `status`, each
    logging `$msec $status` of every request to its own file, so deliveries are counted where
    they are received."""

    def __init__(self, folder, count, status=200, log=True):
        self.folder = folder
        os.makedirs(folder, exist_ok=True)
        self.ports = [free_port() for _ in range(count)]
        servers = "\n".join(
            f"  server {{ listen 127.0.0.1:{port} reuseport backlog=4096; "
            + (f"access_log {folder}/rp{i}.log timing buffer=64k flush=200ms; " if log else "access_log off; ")
            + f"location / {{ return {status}; }} }}"
            for i, port in enumerate(self.ports))
        config = f"""worker_processes 1;
pid {folder}/nginx.pid;
error_log {folder}/nginx-error.log;
events {{ worker_connections 4096; }}
http {{
  log_format timing '$msec $status';
  client_body_temp_path {folder};
  keepalive_requests 1000000;
{servers}
}}
"""
        with open(os.path.join(folder, "nginx.conf"), "w") as f:
            f.write(config)
        started = subprocess.run(["nginx", "-c", os.path.join(folder, "nginx.conf")], capture_output=True, text=True)
        if started.returncode != 0:
            raise RuntimeError("nginx did not start: " + started.stderr.strip())
        deadline = time.monotonic() + 10
        while not os.path.exists(os.path.join(folder, "nginx.pid")) and time.monotonic() < deadline:
            time.sleep(0.02)

    def received(self):
        """Per RP: the arrival times (seconds) of the requests it answered 200."""
        out = []
        for i in range(len(self.ports)):
            times = []
            try:
                with open(os.path.join(self.folder, f"rp{i}.log")) as f:
                    for line in f:
                        parts = line.split()
                        if len(parts) == 2 and parts[1] == "200":
                            times.append(float(parts[0]))
            except FileNotFoundError:
                pass
            out.append(times)
        return out

    def stop(self):
        try:
            pid = int(open(os.path.join(self.folder, "nginx.pid")).read())
            os.kill(pid, 15)
            time.sleep(0.3)
        except (OSError, ValueError):
            pass


class OTLPSink:
    """An OTLP/HTTP collector that only counts: what the daemon pays to export its spans, without
    a collector's own cost in the way (it runs in this process, not the daemon's)."""

    def __init__(self):
        import http.server

        sink = self
        self.requests, self.bytes = 0, 0

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self):
                length = int(self.headers.get("Content-Length", "0"))
                self.rfile.read(length)
                sink.requests += 1
                sink.bytes += length
                self.send_response(200)
                self.send_header("Content-Type", "application/x-protobuf")
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def config(self):
        return f'tracing:\n  otlp_endpoint: "{self.url}"\n  sample_ratio: 1.0\n'

    def stop(self):
        self.server.shutdown()
        self.server.server_close()


class Hanging:
    """RPs that accept connections and never answer."""

    def __init__(self, count):
        self.sockets = []
        self.held = []
        self.ports = []
        for _ in range(count):
            s = socket.socket()
            s.bind(("127.0.0.1", 0))
            s.listen(1024)
            self.sockets.append(s)
            self.ports.append(s.getsockname()[1])
            threading.Thread(target=self._accept, args=(s,), daemon=True).start()

    def _accept(self, s):
        while True:
            try:
                connection, _ = s.accept()
            except OSError:
                return
            self.held.append(connection)

    def stop(self):
        for s in self.sockets + self.held:
            try:
                s.close()
            except OSError:
                pass


def write_wrk_tokens(path, tokens):
    with open(path, "w") as f:
        f.write("tokens = {\n")
        for token in tokens:
            f.write(f'"logout_token={token}",\n')
        f.write("}\n")


def wrk(url, path, tokens_file, seconds, threads=2, connections=32):
    """Saturation: wrk posts each token once (each thread its own slice); returns wrk's own
    figures and how many requests found their slice used up (reported, never counted)."""
    env = dict(os.environ, TOKENS=tokens_file, TARGET_PATH=path, WRK_THREADS=str(threads))
    output = subprocess.run(
        ["wrk", f"-t{threads}", f"-c{connections}", f"-d{seconds}s", "-s", os.path.join(ROOT, "Benchmarks", "post.lua"),
         url], env=env, check=True, capture_output=True, text=True).stdout
    for line in output.splitlines():
        if line.startswith("BENCH "):
            return json.loads(line[6:])
    raise RuntimeError("wrk printed no summary:\n" + output)


async def _open_loop(host, port, path, bodies, rate, connections):
    """Sends bodies[i] at start + i/rate over a pool of keep-alive connections; a latency is
    measured from the scheduled time, so a stall counts against every request it delays."""
    # Closed loop (rate 0): the queue holds one request per connection, so a put waits for a
    # free connection. Open loop: unbounded, every request keeps its scheduled time.
    queue = asyncio.Queue(maxsize=0 if rate else connections)
    results = [None] * len(bodies)
    start = time.monotonic() + 0.2

    async def worker():
        reader, writer = await asyncio.open_connection(host, port)
        while True:
            item = await queue.get()
            if item is None:
                writer.close()
                return
            index, scheduled = item
            body = bodies[index].encode()
            writer.write(f"POST {path} HTTP/1.1\r\nHost: {host}\r\nContent-Type: application/x-www-form-urlencoded\r\n"
                         f"Content-Length: {len(body)}\r\n\r\n".encode() + body)
            await writer.drain()
            status_line = await reader.readline()
            length = 0
            while True:
                header = await reader.readline()
                if header in (b"\r\n", b""):
                    break
                name, _, value = header.decode().partition(":")
                if name.lower() == "content-length":
                    length = int(value.strip())
            if length:
                await reader.readexactly(length)
            results[index] = (int(status_line.split()[1]), time.monotonic() - scheduled, time.time())

    workers = [asyncio.create_task(worker()) for _ in range(connections)]
    for index in range(len(bodies)):
        scheduled = start + index / rate if rate else time.monotonic()
        delay = scheduled - time.monotonic()
        if delay > 0:
            await asyncio.sleep(delay)
        await queue.put((index, scheduled))
    for _ in workers:
        await queue.put(None)
    await asyncio.gather(*workers)
    return results


def post_at_rate(url, path, tokens, rate, connections=64):
    """Posts every token once at `rate` per second (0: as fast as `connections` allow). Returns
    (status, latency seconds, wall-clock answer time) per token."""
    host, port = url.split("//")[1].split(":")
    return asyncio.run(_open_loop(host, int(port), path, ["logout_token=" + t for t in tokens], rate, connections))
