"""The reply side the end-to-end clients share: read an HTTP exchange's reply
until the server closes, and whether http_sink.py says it received the whole
body."""


def read_reply(sock):
    """Everything the server sends until it closes the connection."""
    reply = b""
    while True:
        chunk = sock.recv(4096)
        if not chunk:
            return reply
        reply += chunk


def received(reply, body_len):
    """http_sink.py answers "received N" once it has the whole body."""
    return b"received %d" % body_len in reply
