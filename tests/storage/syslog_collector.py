#!/usr/bin/python3
"""A syslog collector for tests, over TCP: RFC 6587 octet counting (or a
line each with --lf), one connection at a time. Each message becomes one
line of OUT (flushed at once); READY is created once it listens.
Usage: syslog_collector.py PORT OUT READY [--lf]"""
import signal
import socket
import sys

port, out_path, ready = int(sys.argv[1]), sys.argv[2], sys.argv[3]
lf = "--lf" in sys.argv[4:]
signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
srv = socket.socket()
srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
srv.bind(("127.0.0.1", port))
srv.listen(4)
open(ready, "w").close()
with open(out_path, "a") as out:
    while True:
        conn, _ = srv.accept()
        buf = b""
        while True:
            data = conn.recv(65536)
            if not data:
                break
            buf += data
            while True:
                if lf:
                    end = buf.find(b"\n")
                    if end < 0:
                        break
                    msg, buf = buf[:end], buf[end + 1:]
                else:
                    sp = buf.find(b" ")
                    if sp < 0:
                        break
                    n = int(buf[:sp])
                    if len(buf) < sp + 1 + n:
                        break
                    msg, buf = buf[sp + 1:sp + 1 + n], buf[sp + 1 + n:]
                out.write(msg.decode() + "\n")
                out.flush()
        conn.close()
