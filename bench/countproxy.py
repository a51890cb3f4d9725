"""A counting TLS proxy in threads, for bench/compare.py: it relays every byte between a client and the
scenario unchanged and counts what went over it.

    with CountProxy(scn.url, ca_file=scn.ca_file, tmp=dir) as p:   # serving at once
        ... point the tool at p.url, trusting p.ca_file ...
    p.requests, p.bytes_sent, p.bytes_received, p.connections, p.by_key

Unlike tests/integration/faultproxy.py, which rebuilds each request and reply (it drops
Accept-Encoding, adds its own Date and Server headers), this one passes the HTTP streams through
verbatim, so the bytes counted are those the client and the scenario exchanged: HTTP headers and
bodies, after TLS (the handshakes and TLS framing are not counted; `connections` counts the
handshakes). It parses the client's stream only to count requests (by Content-Length; the clients
measured here send no chunked requests) and to name each one: the SOAP method, else the path
without its query and with vAPI ids as {id} (p.by_key). Stdlib only.
"""
import collections
import os
import re
import select
import socket
import ssl
import sys
import threading
import urllib.parse

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "integration"))
from faultproxy import SOAP_METHOD, make_certificate  # noqa: E402

CONTENT_LENGTH = re.compile(rb"^content-length:\s*(\d+)\s*$", re.I | re.M)
CHUNKED = re.compile(rb"^transfer-encoding:.*chunked", re.I | re.M)


class _RequestCounter:
    """Follows the client's byte stream message by message: headers, then Content-Length bytes."""

    def __init__(self, proxy):
        self.proxy = proxy
        self.buf = b""
        self.body_left = None       # None: reading headers
        self.head = self.body = b""

    def feed(self, data):
        self.buf += data
        while self.buf:
            if self.body_left is None:
                end = self.buf.find(b"\r\n\r\n")
                if end < 0:
                    return
                self.head, self.buf = self.buf[:end + 4], self.buf[end + 4:]
                if CHUNKED.search(self.head):
                    raise ValueError("countproxy: a chunked request; only Content-Length is followed")
                m = CONTENT_LENGTH.search(self.head)
                self.body_left, self.body = int(m.group(1)) if m else 0, b""
            take = min(self.body_left, len(self.buf))
            # The SOAP method is the first element in the body: its first 4 KiB are enough.
            if len(self.body) < 4096:
                self.body += self.buf[:take]
            self.buf, self.body_left = self.buf[take:], self.body_left - take
            if self.body_left:
                return
            self._done()
            self.body_left = None

    def _done(self):
        line = self.head.split(b"\r\n", 1)[0].split()
        path = line[1].decode("latin-1") if len(line) > 1 else "?"
        m = SOAP_METHOD.search(self.body) if self.body else None
        route = re.sub(r"/id:[^/?]+", "/id:{id}", path.split("?")[0])
        key = m.group(1).decode() if m else "%s %s" % (line[0].decode("latin-1"), route)
        with self.proxy._lock:
            self.proxy.requests += 1
            self.proxy.by_key[key] += 1


class CountProxy:
    def __init__(self, upstream_url, ca_file, tmp):
        u = urllib.parse.urlsplit(upstream_url)
        self.upstream = (u.hostname, u.port or 443)
        self.upstream_context = ssl.create_default_context(cafile=ca_file)
        self.ca_file, key = make_certificate(tmp, "countproxy")
        self.context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        self.context.load_cert_chain(self.ca_file, key)
        self._lock = threading.Lock()
        self._socks = set()         # open sockets, closed by stop()
        self._threads = []
        self.reset()
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.url = "https://127.0.0.1:%d%s" % (self._listener.getsockname()[1], u.path or "/")
        self._accepting = threading.Thread(target=self._accept, daemon=True)
        self._accepting.start()

    def reset(self):
        with self._lock:
            self.requests = self.bytes_sent = self.bytes_received = self.connections = 0
            self.by_key = collections.Counter()

    def _accept(self):
        while True:
            try:
                conn, _ = self._listener.accept()
            except OSError:
                return              # stop() closed the listener
            t = threading.Thread(target=self._serve, args=(conn,), daemon=True)
            with self._lock:
                self._threads.append(t)
            t.start()

    def _serve(self, conn):
        down = up = None
        try:
            conn.settimeout(300)
            # The handshake in the connection's own thread: a slow client cannot hold up accept().
            down = self.context.wrap_socket(conn, server_side=True)
            raw = socket.create_connection(self.upstream, timeout=300)
            # Relayed as they come, a request's headers and body are two small writes: with Nagle,
            # the second waits for the delayed ACK of the first (40 ms a request).
            for sock in (down, raw):  # conn itself was detached into down
                sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            up = self.upstream_context.wrap_socket(raw, server_hostname=self.upstream[0])
            with self._lock:
                self.connections += 1
                self._socks.update((down, up))
            self._relay(down, up, _RequestCounter(self))
        except (OSError, ssl.SSLError, ValueError) as e:
            if isinstance(e, ValueError):
                print(e, file=sys.stderr)
        finally:
            for s in (down, up, conn):
                self._close(s)

    def _relay(self, down, up, counter):
        """Both directions in this one thread: an SSL socket must not be read in one thread while
        written in another. Non-blocking reads, so that a TLS record without data (a session
        ticket) never blocks the relay; blocking writes. Returns when either side closes or
        nothing moves for 5 minutes."""
        for s in (down, up):
            s.setblocking(False)
        while True:
            readable, _, _ = select.select([down, up], [], [], 300)
            if not readable:
                return
            for src in readable:
                dst = up if src is down else down
                while True:     # drain what is decrypted or readable now
                    try:
                        data = src.recv(65536)
                    except (ssl.SSLWantReadError, ssl.SSLWantWriteError, BlockingIOError):
                        break
                    if not data:
                        return
                    with self._lock:
                        if src is down:
                            self.bytes_sent += len(data)
                        else:
                            self.bytes_received += len(data)
                    if src is down:
                        counter.feed(data)
                    dst.setblocking(True)
                    dst.sendall(data)
                    dst.setblocking(False)

    def _close(self, s):
        """shutdown() first: a close() alone does not wake a thread blocked in recv() on it."""
        if s is None:
            return
        with self._lock:
            self._socks.discard(s)
        for end in (lambda: s.shutdown(socket.SHUT_RDWR), s.close):
            try:
                end()
            except OSError:
                pass

    def stop(self):
        # shutdown() wakes the accept() blocked in the other thread; close() alone does not.
        try:
            self._listener.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        self._listener.close()
        self._accepting.join()
        with self._lock:
            socks, threads = list(self._socks), list(self._threads)
        for s in socks:
            self._close(s)
        for t in threads:
            t.join(timeout=10)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.stop()
