#!/usr/bin/env python3
"""Benchmarks of the hardening issue, against a running release build of logoutd (Benchmarks/hardening
starts it). Standard library only.

  flood          bytes added to the data folder per rejected request (10,000 rejections with long paths
                 from 100 loopback addresses), and the acknowledgement latency of valid logouts during
                 the flood vs without it
  slow-clients   N half-open connections: time for a valid logout to be answered, time until the server
                 has closed them all
"""
import argparse
import base64
import hashlib
import hmac
import http.client
import json
import multiprocessing
import os
import resource
import socket
import statistics
import subprocess
import sys
import threading
import time
import uuid

SECRET = b"bench-shared-secret-of-32-bytes!!"


def b64(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def app_token():
    """A distinct, validly signed HS256 app token (Logora-style), never repeated."""
    header = b64(b'{"alg":"HS256","typ":"JWT"}')
    claims = {"sub": "u-" + uuid.uuid4().hex, "aud": "logoutd", "iat": int(time.time()), "jti": uuid.uuid4().hex}
    payload = b64(json.dumps(claims, separators=(",", ":")).encode())
    signature = hmac.new(SECRET, f"{header}.{payload}".encode(), hashlib.sha256).digest()
    return f"{header}.{payload}.{b64(signature)}"


def folder_bytes(path):
    total = 0
    for root, _, files in os.walk(path):
        for name in files:
            try:
                total += os.path.getsize(os.path.join(root, name))
            except OSError:
                pass
    return total


def percentile(values, fraction):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))] if ordered else float("nan")


class ValidLogouts(threading.Thread):
    """Posts valid app tokens at a fixed rate on one kept-alive connection; records latencies (ms)."""

    def __init__(self, port, rate, seconds):
        super().__init__(daemon=True)
        self.port, self.rate, self.seconds = port, rate, seconds
        self.latencies, self.statuses = [], {}

    def run(self):
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        start = time.monotonic()
        for index in range(int(self.rate * self.seconds)):
            due = start + index / self.rate
            delay = due - time.monotonic()
            if delay > 0:
                time.sleep(delay)
            body = "logout_token=" + app_token()
            sent = time.monotonic()
            connection.request("POST", "/backchannel-logout/bench", body,
                               {"Content-Type": "application/x-www-form-urlencoded"})
            response = connection.getresponse()
            response.read()
            # Measured from when the request was due, so a stall is not hidden (no coordinated omission).
            self.latencies.append((time.monotonic() - min(sent, due)) * 1000)
            self.statuses[response.status] = self.statuses.get(response.status, 0) + 1


def flood_worker(port, address, count, path_length, statuses, lock):
    connection = None
    junk = "x" * path_length
    for index in range(count):
        try:
            if connection is None:
                connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30, source_address=(address, 0))
            connection.request("POST", f"/backchannel-logout/{junk}{index}", "logout_token=a.b.c",
                               {"Content-Type": "application/x-www-form-urlencoded"})
            response = connection.getresponse()
            response.read()
            status = response.status
        except (OSError, http.client.HTTPException):
            status = "error"
            connection = None
        with lock:
            statuses[status] = statuses.get(status, 0) + 1


def flood_process(port, clients, per_client, path_length, results):
    """The flood's 100 client threads, in a process of their own: in the measuring process they
    would hold Python's GIL and delay the valid logouts' client, not the server."""
    statuses, lock = {}, threading.Lock()
    workers = [
        threading.Thread(target=flood_worker, args=(port, f"127.0.0.{2 + index}", per_client, path_length,
                                                    statuses, lock), daemon=True)
        for index in range(clients)
    ]
    started = time.monotonic()
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    results.put((statuses, time.monotonic() - started))


def checkpointed_folder_bytes(data):
    """The data folder's size with the write-ahead log folded into the database file, so that
    two measurements compare stored bytes, not how much log happened to be pending."""
    subprocess.run(["sqlite3", os.path.join(data, "logoutd.sqlite3"), "PRAGMA wal_checkpoint(TRUNCATE);"],
                   capture_output=True)
    return folder_bytes(data)


def flood(args):
    report = {}
    # Without the flood.
    quiet = ValidLogouts(args.port, args.rate, args.seconds)
    quiet.start()
    quiet.join()
    report["valid_without_flood"] = summary(quiet)

    before = checkpointed_folder_bytes(args.data)
    per_client = args.rejections // args.clients
    valid = ValidLogouts(args.port, args.rate, args.seconds)
    results = multiprocessing.get_context("fork").Queue()
    flooder = multiprocessing.get_context("fork").Process(
        target=flood_process, args=(args.port, args.clients, per_client, args.path_length, results))
    valid.start()
    flooder.start()
    statuses, flood_seconds = results.get()
    flooder.join()
    valid.join()
    time.sleep(1)  # let the background log of rejections be written
    grown = checkpointed_folder_bytes(args.data) - before
    sent = sum(statuses.values())
    recorded = int(subprocess.run(
        ["sqlite3", os.path.join(args.data, "logoutd.sqlite3"),
         "select count(*) from events where outcome = 'rejected'"], capture_output=True, text=True).stdout.strip() or 0)
    report["flood"] = {
        "rejected_requests_sent": sent,
        "clients": args.clients,
        "path_bytes": args.path_length,
        "seconds": round(flood_seconds, 2),
        "answers": {str(key): value for key, value in sorted(statuses.items(), key=lambda item: str(item[0]))},
        "rejections_recorded": recorded,
        "data_folder_growth_bytes": grown,
        "bytes_per_rejected_request": round(grown / max(1, sent), 1),
        "bytes_per_recorded_rejection": round(grown / max(1, recorded), 1),
    }
    report["valid_during_flood"] = summary(valid)
    print(json.dumps(report, indent=2))


def summary(runner):
    return {
        "offered_per_second": runner.rate,
        "answers": {str(key): value for key, value in runner.statuses.items()},
        "p50_ms": round(percentile(runner.latencies, 0.50), 2),
        "p99_ms": round(percentile(runner.latencies, 0.99), 2),
        "max_ms": round(max(runner.latencies), 2) if runner.latencies else None,
    }


def slow_clients(args):
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (min(hard, args.connections + 1024), hard))
    sockets = []
    for index in range(args.connections):
        connection = socket.create_connection(("127.0.0.1", args.port))
        connection.sendall(b"POST /backchannel-logout HTTP/1.1\r\nHost: x\r\n")
        sockets.append(connection)
    opened = time.monotonic()
    connection = http.client.HTTPConnection("127.0.0.1", args.port, timeout=60)
    sent = time.monotonic()
    connection.request("POST", "/backchannel-logout/bench", "logout_token=" + app_token(),
                       {"Content-Type": "application/x-www-form-urlencoded"})
    response = connection.getresponse()
    response.read()
    answered_ms = (time.monotonic() - sent) * 1000
    open_sockets = set(sockets)
    for sock in sockets:
        sock.setblocking(False)
    while open_sockets and time.monotonic() - opened < 120:
        for sock in list(open_sockets):
            try:
                if sock.recv(4096) == b"":
                    open_sockets.discard(sock)
            except BlockingIOError:
                pass
            except OSError:
                open_sockets.discard(sock)
        time.sleep(0.05)
    print(json.dumps({
        "half_open_connections": args.connections,
        "valid_logout_status": response.status,
        "valid_logout_answered_ms": round(answered_ms, 1),
        "all_closed_by_server_after_s": round(time.monotonic() - opened, 2) if not open_sockets else None,
        "still_open_after_120_s": len(open_sockets),
    }, indent=2))
    for sock in sockets:
        sock.close()


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("mode", choices=["flood", "slow-clients"])
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--data", help="the daemon's data folder (flood)")
    parser.add_argument("--rejections", type=int, default=10_000)
    parser.add_argument("--clients", type=int, default=100)
    parser.add_argument("--path-length", type=int, default=2_000)
    parser.add_argument("--rate", type=float, default=200, help="valid logouts per second during the measurement")
    parser.add_argument("--seconds", type=float, default=10)
    parser.add_argument("--connections", type=int, default=2_000)
    args = parser.parse_args()
    (flood if args.mode == "flood" else slow_clients)(args)


if __name__ == "__main__":
    sys.exit(main())
