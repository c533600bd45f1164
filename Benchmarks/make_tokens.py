#!/usr/bin/env python3
"""Writes N distinct HS256 app tokens (unique jti, iat now) as a Lua table for wrk: tokens.lua."""
import base64, hashlib, hmac, json, sys, time

b64 = lambda data: base64.urlsafe_b64encode(data).rstrip(b"=").decode()
count, out = int(sys.argv[1]), sys.argv[2]
secret = b"bench-shared-secret-of-32-bytes!!"
header = b64(json.dumps({"alg": "HS256", "typ": "logout+jwt"}).encode())
now = int(time.time())
with open(out, "w") as f:
    f.write("tokens = {\n")
    for i in range(count):
        claims = {"iss": "https://bench.example", "aud": "logoutd", "iat": now, "jti": f"j{i}", "sub": f"u{i % 1000}"}
        payload = b64(json.dumps(claims).encode())
        signature = b64(hmac.new(secret, f"{header}.{payload}".encode(), hashlib.sha256).digest())
        f.write(f'"logout_token={header}.{payload}.{signature}",\n')
    f.write("}\n")
