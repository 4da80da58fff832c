#!/usr/bin/env python3
"""faultreg.py - a scripted, fault-injecting registry for tests (ours).

A minimal in-memory distribution-API registry on 127.0.0.1 that can be told
to misbehave in ways the real docker-registry will not: 5xx/429 storms,
connections reset in the middle of a blob, blobs whose bytes do not match
their digest, slow bodies, redirects of blob GETs to another origin, tokens
that expire before the client thinks they do, ECR-style 403 "token expired",
NAME_UNKNOWN and TAG_INVALID.

usage: faultreg.py --port-file FILE --log FILE [--rules FILE]
                   [--auth none|basic|token] [--user U:P]
                   [--token-ttl S] [--token-expires-in S] [--chunk-min N]

--rules names a JSON file re-read on every request: a list of rules
  {"id": "unique", "method": "GET", "path": "substring of the path",
   "action": "status|reset|corrupt|delay|redirect|throttle",
   "times": N (default 1; -1 = always),
   "status": 500, "code": "UNKNOWN", "message": "...", "headers": {...},
   "bytes": N (reset: body bytes sent before the reset),
   "seconds": S (delay / throttle per 64 KiB)}
The first matching rule with times left fires.  Every request is logged as
one JSON line: method, path, status, auth (the Authorization scheme or
null), range, host.
"""
import argparse
import base64
import hashlib
import json
import os
import re
import secrets
import socket
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

LOCK = threading.Lock()
BLOBS = {}          # digest -> bytes
LINKS = set()       # (repo, digest): blobs a repository holds
MANIFESTS = {}      # (repo, ref) -> (content type, bytes)
UPLOADS = {}        # uuid -> bytearray
FIRED = {}          # rule id -> times fired
TOKENS = {}         # token -> expiry (time.time())
ARGS = None
PORT = 0

NAME = r"(?P<name>[a-z0-9]+(?:[._-]+[a-z0-9]+)*(?:/[a-z0-9]+(?:[._-]+[a-z0-9]+)*)*)"


def load_rules():
    if not ARGS.rules or not os.path.exists(ARGS.rules):
        return []
    try:
        with open(ARGS.rules) as f:
            return json.load(f)
    except (OSError, ValueError):
        return []


def match_rule(method, path):
    for r in load_rules():
        if r.get("method", method) != method or r.get("path", "") not in path:
            continue
        rid = r.get("id", json.dumps(r, sort_keys=True))
        times = r.get("times", 1)
        with LOCK:
            n = FIRED.get(rid, 0)
            if times >= 0 and n >= times:
                continue
            FIRED[rid] = n + 1
        return r
    return None


def digest_of(data):
    return "sha256:" + hashlib.sha256(data).hexdigest()


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, fmt, *args):
        pass

    # ------------------------------------------------------------ plumbing
    def record(self, status):
        authz = self.headers.get("Authorization")
        entry = {"method": self.command, "path": self.path, "status": status,
                 "auth": authz.split(" ")[0] if authz else None,
                 "range": self.headers.get("Range"), "host": self.headers.get("Host"),
                 "t": round(time.time(), 3)}
        with LOCK, open(ARGS.log, "a") as f:
            f.write(json.dumps(entry) + "\n")

    def body(self):
        n = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(n) if n else b""

    def reply(self, status, data=b"", headers=None, ctype=None, length=None):
        self.send_response(status)
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        if ctype:
            self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(data) if length is None else length))
        self.end_headers()
        if self.command != "HEAD" and data:
            self.wfile.write(data)
        self.record(status)

    def error(self, status, code, message, headers=None):
        body = json.dumps({"errors": [{"code": code, "message": message}]}).encode()
        self.reply(status, body, headers, "application/json")

    # ------------------------------------------------------------ auth
    def challenge(self, name, push, error=None):
        if ARGS.auth == "basic":
            return 'Basic realm="faultreg"'
        scope = "repository:%s:%s" % (name, "pull,push" if push else "pull") if name else None
        c = 'Bearer realm="http://127.0.0.1:%d/token",service="faultreg"' % PORT
        if scope:
            c += ',scope="%s"' % scope
        if error:
            c += ',error="%s"' % error
        return c

    def authorized(self, name, push):
        if ARGS.auth == "none":
            return True
        h = self.headers.get("Authorization") or ""
        if ARGS.auth == "basic":
            want = "Basic " + base64.b64encode(ARGS.user.encode()).decode()
            if h == want:
                return True
            self.error(401, "UNAUTHORIZED", "authentication required",
                       {"WWW-Authenticate": self.challenge(name, push)})
            return False
        tok = h[7:] if h.startswith("Bearer ") else None
        with LOCK:
            exp = TOKENS.get(tok)
        if exp is not None and exp > time.time():
            return True
        err = "invalid_token" if exp is not None else None
        self.error(401, "UNAUTHORIZED", "token expired" if err else "authentication required",
                   {"WWW-Authenticate": self.challenge(name, push, err)})
        return False

    def token(self):
        h = self.headers.get("Authorization") or ""
        if h.startswith("Basic "):
            if base64.b64decode(h[6:]).decode() != ARGS.user:
                return self.error(401, "UNAUTHORIZED", "invalid credentials")
        tok = secrets.token_hex(16)
        with LOCK:
            TOKENS[tok] = time.time() + ARGS.token_ttl
        body = json.dumps({"token": tok, "expires_in": ARGS.token_expires_in}).encode()
        self.reply(200, body, ctype="application/json")

    # ------------------------------------------------------------ faults
    def fault(self, rule, data=None):
        """Apply rule; returns True when the request was fully handled."""
        act = rule.get("action")
        if act == "status":
            self.error(rule.get("status", 500), rule.get("code", "UNKNOWN"),
                       rule.get("message", "injected failure"), rule.get("headers"))
            return True
        if act == "delay":
            time.sleep(rule.get("seconds", 1))
            return False
        if act == "reset" and data is not None:
            self.send_response(200)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data[:rule.get("bytes", len(data) // 2)])
            self.wfile.flush()
            self.record(-1)
            self.connection.shutdown(socket.SHUT_RDWR)
            self.close_connection = True
            return True
        return False

    # ------------------------------------------------------------ routes
    def route(self):
        path = self.path.split("?")[0]
        if path == "/token":
            return self.token()
        if path.startswith("/blobdata/"):
            return self.blobdata(path[len("/blobdata/"):])
        if path in ("/v2/", "/v2"):
            if self.authorized(None, False):
                self.reply(200, b"{}", ctype="application/json")
            return
        for pat, fn in ((r"^/v2/%s/blobs/uploads/?$" % NAME, self.upload_start),
                        (r"^/v2/%s/blobs/uploads/(?P<id>[0-9a-f-]+)$" % NAME, self.upload),
                        (r"^/v2/%s/blobs/(?P<ref>sha256:[0-9a-f]{64})$" % NAME, self.blob),
                        (r"^/v2/%s/manifests/(?P<ref>[A-Za-z0-9_.:-]+)$" % NAME, self.manifest),
                        (r"^/v2/%s/tags/list$" % NAME, self.tags)):
            m = re.match(pat, path)
            if m:
                push = self.command in ("PUT", "POST", "PATCH", "DELETE")
                if not self.authorized(m.group("name"), push):
                    return
                rule = match_rule(self.command, self.path)
                if rule and rule.get("action") in ("status", "delay") and self.fault(rule):
                    return
                return fn(m, rule)
        self.error(404, "NOT_FOUND", "no route")

    def blobdata(self, dig):
        with LOCK:
            data = BLOBS.get(dig)
        if data is None:
            return self.error(404, "BLOB_UNKNOWN", "blob unknown")
        self.reply(200, data, ctype="application/octet-stream")

    def blob(self, m, rule):
        dig = m.group("ref")
        with LOCK:
            data = BLOBS.get(dig) if (m.group("name"), dig) in LINKS else None
        if data is None:
            return self.error(404, "BLOB_UNKNOWN", "blob unknown to registry")
        if self.command == "HEAD":
            return self.reply(200, b"", {"Docker-Content-Digest": dig}, length=len(data))
        act = rule.get("action") if rule else None
        if act == "redirect":
            return self.reply(307, b"", {"Location": "http://localhost:%d/blobdata/%s" % (PORT, dig)})
        if act == "corrupt":
            data = bytes([data[0] ^ 0xFF]) + data[1:]
        if act == "reset" and self.fault(rule, data):
            return
        start = 0
        rng = self.headers.get("Range")
        if rng and rng.startswith("bytes="):
            start = int(rng[6:].split("-")[0])
        part = data[start:]
        self.send_response(206 if start else 200)
        if start:
            self.send_header("Content-Range", "bytes %d-%d/%d" % (start, len(data) - 1, len(data)))
        self.send_header("Content-Length", str(len(part)))
        self.send_header("Docker-Content-Digest", dig)
        self.end_headers()
        step = 65536
        for off in range(0, len(part), step):
            if act == "throttle":
                time.sleep(rule.get("seconds", 0.1))
            try:
                self.wfile.write(part[off:off + step])
            except (BrokenPipeError, ConnectionResetError):
                self.close_connection = True
                break
        self.record(206 if start else 200)

    def upload_start(self, m, rule):
        q = self.path.split("?", 1)[1] if "?" in self.path else ""
        params = dict(p.split("=", 1) for p in q.split("&") if "=" in p)
        self.body()
        if "mount" in params:
            with LOCK:
                have = (params.get("from"), params["mount"]) in LINKS
                if have:
                    LINKS.add((m.group("name"), params["mount"]))
            if have:
                return self.reply(201, b"", {"Location": "/v2/%s/blobs/%s" % (m.group("name"), params["mount"]),
                                             "Docker-Content-Digest": params["mount"]})
        uid = str(uuid.uuid4())
        with LOCK:
            UPLOADS[uid] = bytearray()
        hdrs = {"Location": "/v2/%s/blobs/uploads/%s" % (m.group("name"), uid),
                "Range": "0-0", "Docker-Upload-UUID": uid}
        if ARGS.chunk_min:
            hdrs["OCI-Chunk-Min-Length"] = str(ARGS.chunk_min)
        self.reply(202, b"", hdrs)

    def upload(self, m, rule):
        uid = m.group("id")
        data = self.body()
        with LOCK:
            buf = UPLOADS.get(uid)
        if buf is None:
            return self.error(404, "BLOB_UPLOAD_UNKNOWN", "blob upload unknown")
        buf.extend(data)
        loc = "/v2/%s/blobs/uploads/%s" % (m.group("name"), uid)
        if self.command == "PATCH":
            return self.reply(202, b"", {"Location": loc, "Range": "0-%d" % (len(buf) - 1)})
        q = self.path.split("?", 1)[1] if "?" in self.path else ""
        params = dict(p.split("=", 1) for p in q.split("&") if "=" in p)
        want = params.get("digest", "").replace("%3A", ":")
        if digest_of(bytes(buf)) != want:
            return self.error(400, "DIGEST_INVALID", "provided digest did not match uploaded content")
        with LOCK:
            BLOBS[want] = bytes(buf)
            LINKS.add((m.group("name"), want))
            UPLOADS.pop(uid, None)
        self.reply(201, b"", {"Location": "/v2/%s/blobs/%s" % (m.group("name"), want),
                              "Docker-Content-Digest": want})

    def manifest(self, m, rule):
        name, ref = m.group("name"), m.group("ref")
        if self.command == "PUT":
            data = self.body()
            ct = self.headers.get("Content-Type", "")
            dig = digest_of(data)
            with LOCK:
                MANIFESTS[(name, ref)] = (ct, data)
                MANIFESTS[(name, dig)] = (ct, data)
            return self.reply(201, b"", {"Docker-Content-Digest": dig,
                                         "Location": "/v2/%s/manifests/%s" % (name, dig)})
        with LOCK:
            got = MANIFESTS.get((name, ref))
        if got is None:
            return self.error(404, "MANIFEST_UNKNOWN", "manifest unknown")
        ct, data = got
        self.reply(200, data, {"Docker-Content-Digest": digest_of(data)}, ct)

    def tags(self, m, rule):
        name = m.group("name")
        with LOCK:
            tags = sorted(r for (n, r) in MANIFESTS if n == name and not r.startswith("sha256:"))
        self.reply(200, json.dumps({"name": name, "tags": tags}).encode(), ctype="application/json")

    def do_GET(self):
        self.route()

    do_HEAD = do_GET
    do_PUT = do_GET
    do_POST = do_GET
    do_PATCH = do_GET
    do_DELETE = do_GET


def main():
    global ARGS, PORT
    ap = argparse.ArgumentParser()
    ap.add_argument("--port-file", required=True)
    ap.add_argument("--log", required=True)
    ap.add_argument("--rules")
    ap.add_argument("--auth", default="none", choices=["none", "basic", "token"])
    ap.add_argument("--user", default="cbuild:cbuild-pass")
    ap.add_argument("--token-ttl", type=float, default=300)
    ap.add_argument("--token-expires-in", type=int, default=300)
    ap.add_argument("--chunk-min", type=int, default=0)
    ARGS = ap.parse_args()
    srv = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    srv.daemon_threads = True
    PORT = srv.server_address[1]
    tmp = ARGS.port_file + ".tmp"
    with open(tmp, "w") as f:
        f.write("%d\n" % PORT)
    os.rename(tmp, ARGS.port_file)
    srv.serve_forever()


if __name__ == "__main__":
    main()
