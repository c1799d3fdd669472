#!/usr/bin/env python3
"""A real HTTP/1.1 server for the end-to-end tests: stores each request body
as OUTDIR/<X-Test-Id>.body (a chunked body de-chunked, as an application
reads it), its request line and fields in <X-Test-Id>.head and the client's
address/port in <X-Test-Id>.peer,
answers 200 with the body length. Keep-alive is on (HTTP/1.1). A request
whose body does not arrive whole leaves what did arrive in <X-Test-Id>.partial,
and <X-Test-Id>.reset if the connection was reset.

usage: http_sink.py OUTDIR [PORT [CERT KEY]]: with CERT and KEY, HTTPS."""
import http.server
import os
import socket
import ssl
import sys


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def handle(self):
        try:
            super().handle()
        except ConnectionResetError:  # a reset before or between requests
            with open(os.path.join(OUTDIR, "resets.log"), "a") as f:
                f.write("%s %d\n" % (self.client_address[0], self.client_address[1]))

    def read_chunked(self):
        """The body as the application reads it (RFC 9112 7.1); None when the
        framing breaks or the connection ends before the last chunk."""
        body = b""
        while True:
            line = self.rfile.readline(65537)
            if not line.endswith(b"\r\n"):
                return None
            try:
                size = int(line.split(b";", 1)[0].strip(), 16)
            except ValueError:
                return None
            if size == 0:
                while self.rfile.readline(65537) not in (b"\r\n", b""):
                    pass  # trailers
                return body
            data = self.rfile.read(size)
            if len(data) < size or self.rfile.read(2) != b"\r\n":
                return None
            body += data

    def do_PUT(self):
        self.do_POST()

    def do_POST(self):
        n = int(self.headers.get("Content-Length", "0"))
        name = os.path.basename(self.headers.get("X-Test-Id", "unnamed"))
        body = b""
        if "chunked" in self.headers.get("Transfer-Encoding", "").lower():
            try:
                body = self.read_chunked()
            except ConnectionResetError:
                body = None
            if body is None:
                open(os.path.join(OUTDIR, name + ".partial"), "wb").close()
                self.close_connection = True
                return
            n = len(body)
        try:
            while len(body) < n:
                chunk = self.rfile.read1(n - len(body))
                if not chunk:
                    break
                body += chunk
        except ConnectionResetError:
            open(os.path.join(OUTDIR, name + ".reset"), "w").close()
            with open(os.path.join(OUTDIR, "resets.log"), "a") as f:
                f.write("%s %d\n" % (self.client_address[0], self.client_address[1]))
        if len(body) < n:
            with open(os.path.join(OUTDIR, name + ".partial"), "wb") as f:
                f.write(body)
            self.close_connection = True
            return
        with open(os.path.join(OUTDIR, name + ".body"), "wb") as f:
            f.write(body)
        with open(os.path.join(OUTDIR, name + ".head"), "w") as f:
            f.write(self.requestline + "\n" + str(self.headers))
        with open(os.path.join(OUTDIR, name + ".peer"), "w") as f:
            f.write("%s %d\n" % (self.client_address[0], self.client_address[1]))
        reply = ("received %d\n" % len(body)).encode()
        self.send_response(200)
        self.send_header("Content-Length", str(len(reply)))
        self.end_headers()
        self.wfile.write(reply)

    def log_message(self, *args):
        pass


class DualStackServer(http.server.ThreadingHTTPServer):
    address_family = socket.AF_INET6

    def server_bind(self):
        self.socket.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
        super().server_bind()


if __name__ == "__main__":
    OUTDIR = sys.argv[1]
    server = DualStackServer(("::", int(sys.argv[2]) if len(sys.argv) > 2 else 80), Handler)
    if len(sys.argv) > 4:
        tls = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        tls.load_cert_chain(sys.argv[3], sys.argv[4])
        server.socket = tls.wrap_socket(server.socket, server_side=True)
    server.serve_forever()
