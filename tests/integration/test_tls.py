"""TLS verification of vCenter with certificates made here by the openssl CLI: unknown CA, the right
CA in ca_file, a wrong CA in ca_file, the right pin (both spellings), a wrong pin, a host name
mismatch, an expired certificate, plain HTTP on the port. Each failure gives exit 3 and one line
that names the problem, carries the server certificate's fingerprint (pasteable as thumbprint =)
and subject, offers the ca_file hint only where a CA is the fix, and never shows the password; the
server sees no HTTP request when verification fails. The good cases run against the scenario
(-tls-dir with a leaf signed by the test CA); the bad ones against small Python servers in threads,
since the client must give up in the handshake, before any HTTP."""
import os
import re
import shutil
import socket
import ssl
import subprocess
import sys
import tempfile
import threading
import unittest

sys.path.insert(0, os.path.dirname(__file__))
import testmain  # noqa: E402
from scenario import PASSWORD, Scenario, run_check  # noqa: E402


def openssl(*args, cwd):
    subprocess.run(["openssl", *args], cwd=cwd, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)


def make_ca(d, name, cn):
    openssl("req", "-x509", "-new", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
            "-keyout", name + ".key", "-out", name + ".pem", "-days", "30", "-subj", "/CN=" + cn,
            "-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign,cRLSign", cwd=d)


def make_leaf(d, name, cn, san, serial, ca="ca", days="30"):
    """A leaf signed by ca; days "-1" gives a certificate whose notAfter has passed (OpenSSL 3.0's
    x509 -req has no -not_after, and faketime is not available)."""
    openssl("req", "-new", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
            "-keyout", name + ".key", "-out", name + ".csr", "-subj", "/CN=" + cn, cwd=d)
    with open(os.path.join(d, name + ".ext"), "w") as f:
        f.write("subjectAltName=%s\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n" % san)
    openssl("x509", "-req", "-in", name + ".csr", "-CA", ca + ".pem", "-CAkey", ca + ".key", "-set_serial",
            str(serial), "-days", days, "-extfile", name + ".ext", "-out", name + ".pem",
            cwd=d)


def make_self_signed(d, name, cn, san):
    openssl("req", "-x509", "-new", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
            "-keyout", name + ".key", "-out", name + ".pem", "-days", "30", "-subj", "/CN=" + cn,
            "-addext", "subjectAltName=" + san, cwd=d)


def fingerprint(pem):
    """openssl's own idea of the certificate's SHA-256, in both spellings the config accepts."""
    out = subprocess.run(["openssl", "x509", "-in", pem, "-noout", "-fingerprint", "-sha256"],
                         capture_output=True, text=True, check=True).stdout
    colon = out.strip().split("=", 1)[1]
    return "SHA256:" + colon.replace(":", "").lower(), colon


class Server:
    """127.0.0.1 on a free port, one thread. With cert/key: TLS; a request that gets through the
    handshake is answered 503. Without: plain HTTP, answering whatever comes with a 400. Records
    the bytes received after the handshake (the HTTP request, if any)."""

    def __init__(self, cert=None, key=None):
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(8)
        self.sock.settimeout(0.2)
        self.port = self.sock.getsockname()[1]
        self.url = "https://127.0.0.1:%d/sdk" % self.port
        self.ctx = None
        if cert:
            self.ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            self.ctx.load_cert_chain(cert, key)
        self.received = b""
        self.handshakes_ok = 0
        self.handshakes_failed = 0
        self.stopping = False
        self.thread = threading.Thread(target=self.serve, daemon=True)
        self.thread.start()

    def serve(self):
        while not self.stopping:
            try:
                conn, _ = self.sock.accept()
            except socket.timeout:
                continue
            except OSError:
                return
            with conn:
                conn.settimeout(10)
                self.handle(conn)

    def handle(self, conn):
        if not self.ctx:
            # What a plain HTTP server says to a ClientHello; read it first so the client sees no reset.
            try:
                self.received += conn.recv(65536)
                conn.sendall(b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
            except OSError:
                pass
            return
        try:
            tconn = self.ctx.wrap_socket(conn, server_side=True)
        except (ssl.SSLError, OSError):
            self.handshakes_failed += 1
            return
        self.handshakes_ok += 1
        try:
            data = tconn.recv(65536)
            self.received += data
            if data:
                tconn.sendall(b"HTTP/1.1 503 Service Unavailable\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
        except (ssl.SSLError, OSError):
            pass
        finally:
            tconn.close()

    def stop(self):
        self.stopping = True
        self.thread.join(timeout=10)
        self.sock.close()


class TlsTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.mkdtemp(prefix="nw-tls-")
        d = cls.certs = os.path.join(cls.tmp, "certs")
        os.mkdir(d)
        make_ca(d, "ca", "nestwarden test CA")
        make_ca(d, "other-ca", "some other CA")
        make_leaf(d, "good", "vc.test", "IP:127.0.0.1,DNS:localhost", 2)
        make_leaf(d, "wrong-name", "vc.other.example", "DNS:vc.other.example", 3)
        make_leaf(d, "expired", "vc.test", "IP:127.0.0.1,DNS:localhost", 4, days="-1")
        make_self_signed(d, "self", "self-signed vc", "IP:127.0.0.1")
        cls.tls_dir = os.path.join(cls.tmp, "scenario-tls")
        os.mkdir(cls.tls_dir, 0o700)
        shutil.copy(cls.p("good.pem"), os.path.join(cls.tls_dir, "cert.pem"))
        shutil.copy(cls.p("good.key"), os.path.join(cls.tls_dir, "key.pem"))
        os.chmod(os.path.join(cls.tls_dir, "key.pem"), 0o600)
        os.mkdir(os.path.join(cls.tmp, "scn"))
        cls.servers = []
        cls.configs = 0
        cls.scn = Scenario("-tls-dir", cls.tls_dir, tmp=os.path.join(cls.tmp, "scn"))

    @classmethod
    def tearDownClass(cls):
        cls.scn.stop()
        for s in cls.servers:
            s.stop()
        shutil.rmtree(cls.tmp, ignore_errors=True)

    @classmethod
    def p(cls, name):
        return os.path.join(cls.certs, name)

    def server(self, name=None):
        s = Server(self.p(name + ".pem"), self.p(name + ".key")) if name else Server()
        self.servers.append(s)
        return s

    def check(self, url=None, **overrides):
        if url:
            overrides["vcenter__url"] = url
        TlsTest.configs += 1
        conf = self.scn.config(name="tls-%d.conf" % TlsTest.configs, **overrides)
        rc, out, err = run_check(conf, "--json", timeout=60)
        for text in (out, err):
            self.assertNotIn(PASSWORD, text)
        return rc, out, err

    def assertTlsFailure(self, rc, out, err, pattern, cert=None, ca_hint=False):
        self.assertEqual(rc, 3, out + err)
        self.assertEqual(out, "")
        lines = err.strip().splitlines()
        self.assertEqual(len(lines), 1, err)
        line = lines[0]
        self.assertRegex(line, pattern)
        if cert:
            fp, _ = fingerprint(self.p(cert + ".pem"))
            self.assertIn("server certificate " + fp, line)
            self.assertRegex(line, r'subject "CN=[^"]+"')
        if ca_hint:
            self.assertIn("set [vcenter] ca_file", line)
        else:
            self.assertNotIn("set [vcenter] ca_file", line)
        return line

    # The good cases.

    def test_right_ca_in_ca_file(self):
        rc, out, err = self.check(vcenter__ca_file=self.p("ca.pem"))
        self.assertEqual(rc, 1, err)
        self.assertIn('"findings"', out)

    def test_right_pin_both_spellings(self):
        fp, colon = fingerprint(self.p("good.pem"))
        for pin in (fp, colon, fp.upper().replace("SHA256:", "sha256:")):
            rc, out, err = self.check(vcenter__ca_file=None, vcenter__thumbprint=pin)
            self.assertEqual(rc, 1, pin + ": " + err)
            self.assertIn('"findings"', out)

    # The bad ones.

    def test_unknown_ca(self):
        fp, _ = fingerprint(self.p("good.pem"))
        rc, out, err = self.check(vcenter__ca_file=None)
        line = self.assertTlsFailure(rc, out, err, r"TLS: unknown issuer \(unable to get local issuer certificate\)",
                                     cert="good", ca_hint=True)
        self.assertIn('issuer "CN=nestwarden test CA"', line)
        # The fingerprint is offered as the config wants it, ready to paste.
        self.assertIn("or pin this certificate with thumbprint = " + fp, line)

    def test_self_signed_unknown(self):
        srv = self.server("self")
        rc, out, err = self.check(url=srv.url, vcenter__ca_file=None)
        self.assertTlsFailure(rc, out, err, r"TLS: unknown issuer \(self-signed certificate\)", cert="self",
                              ca_hint=True)
        self.assertEqual(srv.received, b"")

    def test_ca_file_with_another_ca(self):
        rc, out, err = self.check(vcenter__ca_file=self.p("other-ca.pem"))
        line = self.assertTlsFailure(rc, out, err, r"TLS: unknown issuer", cert="good")
        self.assertIn("no CA in ca_file = %s signed it" % self.p("other-ca.pem"), line)

    def test_wrong_pin(self):
        fp, _ = fingerprint(self.p("good.pem"))
        wrong, _ = fingerprint(self.p("self.pem"))
        rc, out, err = self.check(vcenter__ca_file=None, vcenter__thumbprint=wrong)
        line = self.assertTlsFailure(rc, out, err, r"TLS: certificate does not match the pinned thumbprint = "
                                     + re.escape(wrong), cert="good")
        self.assertIn(fp, line)

    def test_wrong_pin_sends_nothing(self):
        # The pin is checked in the handshake: the server never sees a request (the Login body would
        # carry the password).
        srv = self.server("self")
        wrong, _ = fingerprint(self.p("good.pem"))
        rc, out, err = self.check(url=srv.url, vcenter__ca_file=None, vcenter__thumbprint=wrong)
        self.assertTlsFailure(rc, out, err, r"does not match the pinned thumbprint", cert="self")
        self.assertEqual(srv.received, b"")
        self.assertEqual(srv.handshakes_ok, 0)

    def test_host_name_mismatch(self):
        srv = self.server("wrong-name")
        rc, out, err = self.check(url=srv.url, vcenter__ca_file=self.p("ca.pem"))
        self.assertTlsFailure(rc, out, err, r"TLS: host name mismatch: the certificate is not for 127\.0\.0\.1 "
                              r"\(it names DNS:vc\.other\.example\)", cert="wrong-name")
        self.assertEqual(srv.received, b"")

    def test_expired(self):
        srv = self.server("expired")
        rc, out, err = self.check(url=srv.url, vcenter__ca_file=self.p("ca.pem"))
        self.assertTlsFailure(rc, out, err, r"TLS: expired: the certificate was valid until \d{4}-\d\d-\d\d "
                              r"\d\d:\d\d:\d\d UTC", cert="expired")
        self.assertEqual(srv.received, b"")

    def test_not_tls(self):
        srv = self.server()
        rc, out, err = self.check(url=srv.url, vcenter__ca_file=self.p("ca.pem"))
        self.assertTlsFailure(rc, out, err, r'not TLS: the server answered the TLS handshake with "HTTP/\.\.\.", '
                              r"not a TLS record \(plain HTTP on this port\?\)")
        self.assertTrue(srv.received.startswith(b"\x16\x03"), srv.received[:8])  # our ClientHello, nothing else

    def test_pin_replaces_name_and_date_checks(self):
        # Pinned, an expired certificate for another name is accepted (as vSphere's thumbprint trust
        # does): the request reaches the server, which answers 503, and the error is no TLS error.
        for name in ("wrong-name", "expired"):
            srv = self.server(name)
            fp, _ = fingerprint(self.p(name + ".pem"))
            rc, out, err = self.check(url=srv.url, vcenter__ca_file=None, vcenter__thumbprint=fp)
            self.assertEqual(rc, 3, err)
            self.assertNotIn("TLS", err)
            self.assertIn("503", err)
            self.assertTrue(srv.received.startswith(b"POST /sdk "), srv.received[:40])

    def test_thumbprint_with_insecure_or_ca_file_is_refused(self):
        fp, _ = fingerprint(self.p("good.pem"))
        rc, out, err = self.check(vcenter__ca_file=None, vcenter__thumbprint=fp, vcenter__insecure="yes")
        self.assertEqual(rc, 3, err)
        self.assertRegex(err, r"^nestwarden: \S+:\d+: key 'thumbprint': the pin replaces CA verification; "
                         r"insecure = yes contradicts it; drop one of them\n$")
        rc, out, err = self.check(vcenter__ca_file=self.p("ca.pem"), vcenter__thumbprint=fp)
        self.assertEqual(rc, 3, err)
        self.assertIn("ca_file would be ignored beside it", err)


if __name__ == "__main__":
    testmain.main()
