#!/usr/bin/env python3
"""token-server.py - a small Bearer token issuer for the test registry.

Speaks the distribution token protocol: GET /token?service=S&scope=S... with
optional Basic credentials, and POST /token (OAuth2 password and
refresh_token grants).  Tokens are RS256 JWTs carrying the signing
certificate in "x5c"; the registry trusts that certificate through its
rootcertbundle.  Signing uses the openssl command (the stdlib has no RSA).

Authenticated users get the actions they ask for; anonymous clients get
"pull" only.  Wrong credentials get 401.  Every request is appended to the
log file, one JSON object a line, so tests can count token fetches.

usage: token-server.py --port N --key KEY.pem --cert CERT.pem --users FILE
                       --issuer ISSUER --log FILE [--ttl SECONDS]
FILE holds "user:password" lines.
"""
import argparse
import base64
import json
import subprocess
import sys
import time
import urllib.parse
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


def b64url(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


class Issuer:
    def __init__(self, args):
        self.args = args
        der = subprocess.run(["openssl", "x509", "-in", args.cert, "-outform", "DER"],
                             check=True, capture_output=True).stdout
        self.x5c = base64.b64encode(der).decode()
        self.users = {}
        with open(args.users) as f:
            for line in f:
                line = line.strip()
                if line and ":" in line:
                    u, p = line.split(":", 1)
                    self.users[u] = p
        self.refresh = {}

    def sign(self, claims):
        header = {"typ": "JWT", "alg": "RS256", "x5c": [self.x5c]}
        payload = b64url(json.dumps(header).encode()) + "." + b64url(json.dumps(claims).encode())
        sig = subprocess.run(["openssl", "dgst", "-sha256", "-sign", self.args.key],
                             input=payload.encode(), check=True, capture_output=True).stdout
        return payload + "." + b64url(sig)

    def token(self, user, service, scopes):
        access = []
        for scope in scopes:
            parts = scope.split(":")
            if len(parts) < 3:
                continue
            typ, name, actions = parts[0], ":".join(parts[1:-1]), parts[-1].split(",")
            allowed = [a for a in actions if user or a == "pull"]
            if user and "*" in actions:
                allowed = ["*"]
            access.append({"type": typ, "name": name, "actions": allowed})
        now = int(time.time())
        ttl = self.args.ttl
        claims = {"iss": self.args.issuer, "sub": user or "", "aud": service,
                  "exp": now + ttl, "nbf": now - 10, "iat": now, "jti": uuid.uuid4().hex,
                  "access": access}
        return self.sign(claims), ttl


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, fmt, *args):
        pass

    def record(self, **kw):
        with open(self.server.issuer.args.log, "a") as f:
            f.write(json.dumps(kw) + "\n")

    def reply(self, code, body):
        data = json.dumps(body).encode()
        self.send_response(code)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        if code == 401:
            self.send_header("WWW-Authenticate", 'Basic realm="cbuild-token"')
        self.end_headers()
        self.wfile.write(data)

    def basic_user(self):
        auth = self.headers.get("Authorization", "")
        if not auth.startswith("Basic "):
            return None, True
        try:
            user, pw = base64.b64decode(auth[6:]).decode().split(":", 1)
        except Exception:
            return None, False
        return user, self.server.issuer.users.get(user) == pw

    def do_GET(self):
        url = urllib.parse.urlparse(self.path)
        q = urllib.parse.parse_qs(url.query)
        if url.path != "/token":
            return self.reply(404, {"error": "not found"})
        user, ok = self.basic_user()
        scopes = [s for v in q.get("scope", []) for s in v.split(" ")]
        self.record(method="GET", user=user, ok=ok, scopes=scopes)
        if not ok:
            return self.reply(401, {"errors": [{"code": "UNAUTHORIZED",
                                                "message": "invalid username or password"}]})
        tok, ttl = self.server.issuer.token(user, q.get("service", [""])[0], scopes)
        body = {"token": tok, "access_token": tok, "expires_in": ttl,
                "issued_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())}
        if user and q.get("offline_token", [""])[0] == "true":
            rt = uuid.uuid4().hex
            self.server.issuer.refresh[rt] = user
            body["refresh_token"] = rt
        self.reply(200, body)

    def do_POST(self):
        n = int(self.headers.get("Content-Length", "0"))
        form = urllib.parse.parse_qs(self.rfile.read(n).decode())
        grant = form.get("grant_type", [""])[0]
        scopes = [s for v in form.get("scope", []) for s in v.split(" ")]
        issuer = self.server.issuer
        user = None
        if grant == "password":
            user = form.get("username", [""])[0]
            ok = issuer.users.get(user) == form.get("password", [""])[0]
        elif grant == "refresh_token":
            user = issuer.refresh.get(form.get("refresh_token", [""])[0])
            ok = user is not None
        else:
            ok = False
        self.record(method="POST", user=user, ok=ok, grant=grant, scopes=scopes)
        if not ok:
            return self.reply(401, {"error": "invalid_grant"})
        tok, ttl = issuer.token(user, form.get("service", [""])[0], scopes)
        body = {"access_token": tok, "expires_in": ttl, "scope": " ".join(scopes)}
        if grant == "password" and form.get("access_type", [""])[0] == "offline":
            rt = uuid.uuid4().hex
            issuer.refresh[rt] = user
            body["refresh_token"] = rt
        self.reply(200, body)


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--port", type=int, required=True)
    p.add_argument("--key", required=True)
    p.add_argument("--cert", required=True)
    p.add_argument("--users", required=True)
    p.add_argument("--issuer", default="cbuild-test-issuer")
    p.add_argument("--log", required=True)
    p.add_argument("--ttl", type=int, default=300)
    args = p.parse_args()
    srv = ThreadingHTTPServer(("127.0.0.1", args.port), Handler)
    srv.issuer = Issuer(args)
    print("ready", flush=True)
    srv.serve_forever()


if __name__ == "__main__":
    sys.exit(main())
