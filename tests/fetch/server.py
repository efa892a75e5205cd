#!/usr/bin/env python3
"""A small HTTP server on 127.0.0.1 for the fetch tests.

    server.py ROOT PORTFILE [LIFETIME]

Serves the files under ROOT, and behaves badly on request:
    /truncate/PATH      announces the whole length, sends half, closes the connection
    /stall/PATH         sends 100 bytes, then nothing until the client gives up
    /slow/RATE/PATH     sends PATH at RATE bytes per second
    anything missing    404
It listens on a free port, writes the port number to PORTFILE, and stops by itself after
LIFETIME seconds (default 300).
"""
import http.server
import os
import socketserver
import sys
import threading
import time

ROOT = os.path.abspath(sys.argv[1])


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, fmt, *args):
        sys.stderr.write("server: %s\n" % (fmt % args))

    def body(self, rel):
        path = os.path.normpath(os.path.join(ROOT, rel.lstrip("/")))
        if not path.startswith(ROOT + os.sep) or not os.path.isfile(path):
            return None
        with open(path, "rb") as f:
            return f.read()

    def head(self, length):
        self.send_response(200)
        self.send_header("Content-Type", "application/octet-stream")
        self.send_header("Content-Length", str(length))
        self.end_headers()

    def do_GET(self):
        parts = self.path.split("?")[0].split("/")
        mode, rate = "plain", 0
        if len(parts) > 2 and parts[1] in ("truncate", "stall"):
            mode, rel = parts[1], "/".join(parts[2:])
        elif len(parts) > 3 and parts[1] == "slow":
            mode, rate, rel = "slow", int(parts[2]), "/".join(parts[3:])
        else:
            rel = "/".join(parts[1:])
        data = self.body(rel)
        if data is None:
            msg = b"not found\n"
            self.send_response(404)
            self.send_header("Content-Length", str(len(msg)))
            self.end_headers()
            self.wfile.write(msg)
            return
        self.head(len(data))
        try:
            if mode == "plain":
                self.wfile.write(data)
            elif mode == "truncate":
                self.wfile.write(data[: len(data) // 2])
                self.wfile.flush()
                self.close_connection = True
            elif mode == "stall":
                self.wfile.write(data[:100])
                self.wfile.flush()
                time.sleep(60)
                self.close_connection = True
            else:
                chunk = max(1, rate // 10)
                for i in range(0, len(data), chunk):
                    self.wfile.write(data[i : i + chunk])
                    self.wfile.flush()
                    time.sleep(0.1)
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True


class Server(socketserver.ThreadingMixIn, http.server.HTTPServer):
    daemon_threads = True
    allow_reuse_address = True


def main():
    lifetime = float(sys.argv[3]) if len(sys.argv) > 3 else 300
    srv = Server(("127.0.0.1", 0), Handler)
    tmp = sys.argv[2] + ".tmp"
    with open(tmp, "w") as f:
        f.write("%d\n" % srv.server_address[1])
    os.rename(tmp, sys.argv[2])
    threading.Timer(lifetime, srv.shutdown).start()
    srv.serve_forever()


if __name__ == "__main__":
    main()
