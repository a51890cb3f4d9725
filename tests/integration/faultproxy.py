"""A fault-injecting TLS proxy between nestwarden and the scenario, running as threads in the test.

    p = FaultProxy(scn.url, ca_file=scn.ca_file, tmp=dir)   # serving at once
    rid = p.add_rule("RetrievePropertiesEx", reply(500, "<html>boom</html>"), times=2)
    ... point nestwarden at p.url, trusting p.ca_file ...
    p.hits(rid); p.requests; p.stop()

Every request is forwarded to the scenario unless a rule matches it. A rule's `match` is a SOAP
method name (the first element inside soapenv:Body of a POST to the SOAP path), or for any other
request a substring of the path (e.g. "tag-association"); a callable match(req) -> bool works too.
An `action` is a callable action(req) -> Reply; req.forward() gives the scenario's real answer,
so an action can rewrite it. The helpers below build the usual actions. Stdlib only.
"""
import http.client
import http.server
import os
import re
import socket
import ssl
import subprocess
import threading
import time
import urllib.parse
import zlib

HOP_BY_HOP = {"connection", "keep-alive", "transfer-encoding", "content-length", "te", "trailer",
              "upgrade", "proxy-connection"}
SOAP_METHOD = re.compile(rb"<(?:[\w.-]+:)?Body\b[^>]*>\s*<(?:[\w.-]+:)?([\w.-]+)")


class Reply:
    """What the proxy answers: status, headers (list of (name, value)), body (bytes).
    stream, when set, is called as stream(wfile, stopped) to write the raw answer itself
    (headers included); the connection is closed after it."""

    def __init__(self, status, headers=None, body=b"", stream=None):
        self.status = status
        self.headers = list(headers or [])
        self.body = body.encode() if isinstance(body, str) else body
        self.stream = stream

    def header(self, name):
        for k, v in self.headers:
            if k.lower() == name.lower():
                return v
        return None


class Request:
    def __init__(self, proxy, method, path, headers, body):
        self.proxy = proxy
        self.method = method
        self.path = path
        self.headers = headers          # an email.message.Message: case-insensitive get()
        self.body = body
        m = SOAP_METHOD.search(body) if method == "POST" and path == proxy.upstream_path else None
        self.soap_method = m.group(1).decode() if m else None
        self.upstream = None            # set by the handler: its connection to the scenario

    @property
    def key(self):
        return self.soap_method or self.path

    def forward(self):
        """Sends this request to the scenario; returns its Reply (body decoded, whole)."""
        headers = {k: v for k, v in self.headers.items() if k.lower() not in HOP_BY_HOP}
        headers["Host"] = self.proxy.upstream_netloc
        # Plain bodies from upstream, so that actions can rewrite them.
        headers.pop("Accept-Encoding", None)
        headers.pop("accept-encoding", None)
        for attempt in (1, 2):
            conn = self.upstream()
            try:
                conn.request(self.method, self.path, body=self.body if self.body else None, headers=headers)
                resp = conn.getresponse()
                body = resp.read()
                break
            except (http.client.HTTPException, OSError):
                # The scenario closed an idle keep-alive connection: once more on a fresh one.
                conn.close()
                if attempt == 2:
                    raise
        return Reply(resp.status, [(k, v) for k, v in resp.getheaders() if k.lower() not in HOP_BY_HOP], body)


# ---- ready-made actions ---------------------------------------------------------------------

def forward():
    return lambda req: req.forward()


def reply(status, body, headers=None):
    """A fixed answer. Default content type: text/html for <html bodies, else text/xml."""
    def action(req):
        b = body.encode() if isinstance(body, str) else body
        h = list(headers or [])
        if not any(k.lower() == "content-type" for k, _ in h):
            h.append(("Content-Type", "text/html" if b.lstrip()[:5].lower() in (b"<html", b"<!doc")
                      else "text/xml; charset=utf-8"))
        return Reply(status, h, b)
    return action


def rewrite(fn):
    """Forwards, then replaces the body by fn(body_bytes) -> bytes (status and headers kept)."""
    def action(req):
        r = req.forward()
        r.body = fn(r.body)
        return r
    return action


_BOMBS = {}
_BOMB_HEAD = (b'<?xml version="1.0" encoding="UTF-8"?>\n<soapenv:Envelope '
              b'xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/"><soapenv:Body>'
              b'<RetrievePropertiesExResponse xmlns="urn:vim25"><returnval>')
_BOMB_TAIL = b"</returnval></RetrievePropertiesExResponse></soapenv:Body></soapenv:Envelope>"
# One ObjectContent, repeated: each is a complete record, read and let go one at a time.
_BOMB_OBJECT = b'<objects><obj type="VirtualMachine">vm-1</obj></objects>'


def gzip_bomb(decoded_bytes, shape="text"):
    """200 with Content-Encoding: gzip: a well-formed SOAP reply of decoded_bytes that compresses
    about 1000:1 (250 MB -> 250 KB). shape "text": one object whose moref is nearly all spaces (a
    single huge text node); "objects": the same small object over and over."""
    key = (decoded_bytes, shape)
    if key not in _BOMBS:
        head, tail = _BOMB_HEAD, _BOMB_TAIL
        if shape == "text":
            head += b'<objects><obj type="VirtualMachine">'
            tail = b"</obj></objects>" + tail
            unit = b" "
        else:
            unit = _BOMB_OBJECT
        co = zlib.compressobj(9, zlib.DEFLATED, 16 + zlib.MAX_WBITS)  # gzip framing
        parts = [co.compress(head)]
        left = max(0, decoded_bytes - len(head) - len(tail)) // len(unit)
        chunk = unit * ((1 << 20) // len(unit))
        per_chunk = len(chunk) // len(unit)
        while left:
            n = min(left, per_chunk)
            parts.append(co.compress(chunk[:n * len(unit)]))
            left -= n
        parts += [co.compress(tail), co.flush()]
        _BOMBS[key] = b"".join(parts)
    body = _BOMBS[key]
    return lambda req: Reply(200, [("Content-Type", "text/xml; charset=utf-8"), ("Content-Encoding", "gzip")],
                             body)


def never_ending(trickle=1.0):
    """200 and a body that starts and never ends: one byte every `trickle` seconds (None: stall),
    until the client hangs up or the proxy stops."""
    def stream(wfile, stopped):
        wfile.write(b"HTTP/1.1 200 OK\r\nContent-Type: text/xml; charset=utf-8\r\n"
                    b"Content-Length: 10000000\r\n\r\n<?xml version=\"1.0\"?>\n")
        wfile.flush()
        while not stopped.wait(trickle or 0.5):
            if trickle:
                wfile.write(b" ")
                wfile.flush()
    return lambda req: Reply(200, stream=stream)


def chunked_garbage():
    """200, Transfer-Encoding: chunked, then a chunk size that is not hex, and the connection closed."""
    def stream(wfile, stopped):
        wfile.write(b"HTTP/1.1 200 OK\r\nContent-Type: text/xml; charset=utf-8\r\n"
                    b"Transfer-Encoding: chunked\r\n\r\n"
                    b"5\r\n<?xml\r\nzz-not-hex\r\n\x00\xff garbage \r\n\r\n")
        wfile.flush()
    return lambda req: Reply(200, stream=stream)


def close_connection():
    """No answer at all: the connection is closed once the request is read."""
    return lambda req: Reply(None, stream=lambda wfile, stopped: None)


def delay(seconds, then=None):
    """Waits (cut short by stop()), then runs `then` (default: forward)."""
    def action(req):
        req.proxy._stopped.wait(seconds)
        return (then or forward())(req)
    return action


# ---- the proxy ------------------------------------------------------------------------------

class _Server(http.server.ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def finish_request(self, request, client_address):
        # The TLS handshake happens here, in the connection's own thread, so a client that stalls
        # in it cannot hold up accept().
        request.settimeout(60)
        try:
            tls = self.proxy.context.wrap_socket(request, server_side=True)
        except (ssl.SSLError, OSError):
            return
        try:
            self.RequestHandlerClass(tls, client_address, self)
        except (ConnectionError, ssl.SSLError, socket.timeout, OSError):
            pass
        finally:
            try:
                tls.close()
            except OSError:
                pass


class _Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def _upstream(self):
        if getattr(self, "_conn", None) is None or self._conn.sock is None:
            p = self.server.proxy
            self._conn = http.client.HTTPSConnection(p.upstream_host, p.upstream_port,
                                                     context=p.upstream_context, timeout=120)
        return self._conn

    def _read_body(self):
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            out = b""
            while True:
                size = int(self.rfile.readline().split(b";")[0].strip(), 16)
                if size == 0:
                    while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                        pass
                    return out
                out += self.rfile.read(size)
                self.rfile.readline()
        n = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(n) if n else b""

    def _handle(self):
        p = self.server.proxy
        req = Request(p, self.command, self.path, self.headers, self._read_body())
        req.upstream = self._upstream
        action = p._pick(req)
        try:
            r = action(req) if action else req.forward()
        except Exception as e:  # noqa: BLE001 - an upstream failure is a 502, as a real proxy says
            r = Reply(502, [("Content-Type", "text/plain")], ("faultproxy: %s" % e).encode())
        if not isinstance(r, Reply):
            raise TypeError("an action must return a Reply, got %r" % (r,))
        p._record(req.key, r.status)
        if r.stream:
            self.close_connection = True
            try:
                r.stream(self.wfile, p._stopped)
            except OSError:
                pass
            return
        self.send_response(r.status)
        for k, v in r.headers:
            if k.lower() not in HOP_BY_HOP:
                self.send_header(k, v)
        self.send_header("Content-Length", str(len(r.body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(r.body)

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = do_HEAD = _handle

    def finish(self):
        super().finish()
        if getattr(self, "_conn", None) is not None:
            self._conn.close()


def make_certificate(tmp, name="faultproxy"):
    """A self-signed certificate for 127.0.0.1 made with the openssl CLI; returns (cert, key) paths."""
    cert, key = os.path.join(tmp, name + ".pem"), os.path.join(tmp, name + ".key")
    subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
                    "-nodes", "-keyout", key, "-out", cert, "-days", "2", "-subj", "/CN=127.0.0.1",
                    "-addext", "subjectAltName=IP:127.0.0.1"],
                   check=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    return cert, key


class FaultProxy:
    def __init__(self, upstream_url, ca_file, tmp):
        u = urllib.parse.urlsplit(upstream_url)
        self.upstream_host, self.upstream_port = u.hostname, u.port or 443
        self.upstream_netloc = u.netloc
        self.upstream_path = u.path or "/"
        self.upstream_context = ssl.create_default_context(cafile=ca_file)

        self.ca_file, key = make_certificate(tmp)
        self.context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        self.context.load_cert_chain(self.ca_file, key)

        self._lock = threading.Lock()
        self._rules = []                # [id, match, action, times_left or None, hits]
        self._next_id = 1
        self.requests = []
        self._stopped = threading.Event()
        self._server = _Server(("127.0.0.1", 0), _Handler)
        self._server.proxy = self
        self.port = self._server.server_address[1]
        self.url = "https://127.0.0.1:%d%s" % (self.port, self.upstream_path)
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.1},
                                        daemon=True)
        self._thread.start()

    def add_rule(self, match, action, times=None):
        """times=None: forever; N: only the next N matching requests. Returns the rule's id."""
        if isinstance(action, Reply):
            fixed = action
            action = lambda req: fixed  # noqa: E731
        with self._lock:
            rid = self._next_id
            self._next_id += 1
            self._rules.append([rid, match, action, times, 0])
            return rid

    def remove_rule(self, rule_id):
        with self._lock:
            for rule in self._rules:
                if rule[0] == rule_id:
                    rule[3] = 0         # kept for hits()

    def clear(self):
        with self._lock:
            for rule in self._rules:
                rule[3] = 0

    def hits(self, rule_id):
        with self._lock:
            return next(r[4] for r in self._rules if r[0] == rule_id)

    def _matches(self, match, req):
        if callable(match):
            return match(req)
        if req.soap_method is not None:
            return match == req.soap_method
        return match in req.path

    def _pick(self, req):
        with self._lock:
            for rule in self._rules:
                if rule[3] == 0 or not self._matches(rule[1], req):
                    continue
                if rule[3] is not None:
                    rule[3] -= 1
                rule[4] += 1
                return rule[2]
        return None

    def _record(self, key, status):
        with self._lock:
            self.requests.append((key, status))

    def stop(self):
        self._stopped.set()
        self._server.shutdown()
        self._server.server_close()
        self._thread.join()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.stop()


if __name__ == "__main__":
    # A quick look by hand: python3 faultproxy.py UPSTREAM_URL CA_FILE
    import sys
    import tempfile
    px = FaultProxy(sys.argv[1], sys.argv[2], tempfile.mkdtemp())
    print(px.url, px.ca_file)
    try:
        while True:
            time.sleep(1)
    except KeyboardInterrupt:
        px.stop()
