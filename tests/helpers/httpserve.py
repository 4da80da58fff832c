#!/usr/bin/env python3
"""httpserve.py - a scriptable HTTP/1.1 server for tests of ADD <url>.

Listens on 127.0.0.1 on a free port, writes the port to --port-file, and
answers from a JSON routes file (re-read on every request, so a test may
change it while the server runs):

  {"/path": [RESPONSE, RESPONSE, ...]}

The responses of a path are used in order, one per request; the last one
repeats.  A RESPONSE is an object:

  status   HTTP status (default 200)
  reason   reason phrase (default: the standard one)
  headers  {"Name": "value"}
  body     text body (default "")
  chunks   N: send the body in N pieces ...
  delay    ... sleeping this many seconds before each piece
  reset    true: close the connection without answering
  short    true: announce 10 bytes more than the body, then close

With --tls CERT KEY it speaks https instead.

Every request is logged to --log as "METHOD PATH" plus any Authorization
header, one line each, so tests can check what the client sent.
"""
import argparse
import json
import os
import socket
import ssl
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

COUNTS = {}
LOCK = threading.Lock()


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, fmt, *args):
        pass

    def pick(self):
        with open(self.server.routes_path) as f:
            routes = json.load(f)
        path = self.path.split("?", 1)[0]
        seq = routes.get(path)
        if not seq:
            return {"status": 404, "body": "no route for %s\n" % path}
        with LOCK:
            n = COUNTS.get(path, 0)
            COUNTS[path] = n + 1
        return seq[min(n, len(seq) - 1)]

    def log_request_line(self):
        line = "%s %s" % (self.command, self.path)
        for h in ("Authorization", "User-Agent"):
            if self.headers.get(h):
                line += " %s=%s" % (h, self.headers.get(h))
        with LOCK, open(self.server.log_path, "a") as f:
            f.write(line + "\n")

    def do_GET(self):
        self.log_request_line()
        r = self.pick()
        if r.get("reset"):
            self.connection.shutdown(socket.SHUT_RDWR)
            self.close_connection = True
            return
        body = r.get("body", "").encode()
        self.send_response(r.get("status", 200), r.get("reason"))
        for k, v in r.get("headers", {}).items():
            self.send_header(k, v)
        extra = 10 if r.get("short") else 0
        self.send_header("Content-Length", str(len(body) + extra))
        self.end_headers()
        self.send_body(body, int(r.get("chunks", 1)), float(r.get("delay", 0)))
        if extra:
            self.wfile.flush()
            self.connection.shutdown(socket.SHUT_RDWR)
            self.close_connection = True

    def send_body(self, body, chunks, delay):
        step = max(1, (len(body) + chunks - 1) // chunks)
        try:
            for i in range(0, len(body), step):
                if delay:
                    time.sleep(delay)
                self.wfile.write(body[i:i + step])
                self.wfile.flush()
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--port-file", required=True)
    ap.add_argument("--routes", required=True)
    ap.add_argument("--log", default=os.devnull)
    ap.add_argument("--tls", nargs=2, metavar=("CERT", "KEY"))
    a = ap.parse_args()
    srv = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    if a.tls:
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(a.tls[0], a.tls[1])
        srv.socket = ctx.wrap_socket(srv.socket, server_side=True)
    srv.daemon_threads = True
    srv.routes_path = a.routes
    srv.log_path = a.log
    tmp = a.port_file + ".tmp"
    with open(tmp, "w") as f:
        f.write("%d\n" % srv.server_address[1])
    os.rename(tmp, a.port_file)
    try:
        srv.serve_forever()
    except KeyboardInterrupt:
        pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
