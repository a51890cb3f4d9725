"""Starts the simulator scenario for a test and stops it by PID, on failure too."""
import ctypes
import json
import os
import select
import signal
import ssl
import subprocess
import tempfile
import time
import urllib.request

import procs

PASSWORD = "s3cret-Pa$$ w0rd&<x>"
USER = "nestwarden@vsphere.local"


def _die_with_parent():
    # If the test runner kills us (a meson timeout), the simulator must not outlive the test.
    PR_SET_PDEATHSIG = 1
    ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGTERM)


class Scenario:
    """The scenario binary on 127.0.0.1 with our credentials; .truth is its ground truth. With deny
    (a dict, see tests/scenario/deny.go), nestwarden's account may not read what it names; .deny()
    changes that while the scenario runs."""

    def __init__(self, *flags, tmp=None, deny=None, start_timeout=120, password=PASSWORD):
        self.tmp = tmp or tempfile.mkdtemp(prefix="nw-scn-")
        if deny is not None:
            self.deny_path = os.path.join(self.tmp, "deny.json")
            self.deny(deny)
            flags = ("-deny", self.deny_path) + flags
        self.password_file = os.path.join(self.tmp, "vcenter.password")
        with open(os.open(self.password_file, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600), "w") as f:
            f.write(password + "\n")
        self.ca_file = os.path.join(self.tmp, "ca.pem")
        with open(os.path.join(self.tmp, "scenario.log"), "w") as log:
            self.proc = subprocess.Popen(
                [os.environ["NW_SCENARIO"], "-user", USER, "-password-file", self.password_file,
                 "-cert-out", self.ca_file, *flags],
                stdout=subprocess.PIPE, stderr=log, preexec_fn=_die_with_parent)
        try:
            self.line = self._first_line(timeout=start_timeout).decode()
            info = json.loads(self.line)
        except Exception:
            self.stop()
            raise
        self.url = info["url"]
        self.truth = info["truth"]

    def deny(self, rules):
        """Replaces the deny rules at once (the scenario reads them at every retrieval)."""
        with open(self.deny_path + ".new", "w") as f:
            json.dump(rules, f)
        os.rename(self.deny_path + ".new", self.deny_path)

    def vapi_requests(self):
        """The scenario's own log of nestwarden's vAPI requests (tests/scenario/vapicount.go):
        {"now", "total", "by_route", "requests": [{"t", "method", "route", "status"}]}."""
        ctx = ssl.create_default_context(cafile=self.ca_file)
        url = self.url[:-len("/sdk")] + "/nw-scenario/vapi-requests"
        with urllib.request.urlopen(url, context=ctx, timeout=10) as r:
            return json.load(r)

    def _first_line(self, timeout):
        deadline = time.monotonic() + timeout
        buf = b""
        fd = self.proc.stdout.fileno()
        while b"\n" not in buf:
            left = deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError("scenario printed no line within %ds" % timeout)
            ready, _, _ = select.select([fd], [], [], left)
            if ready:
                chunk = os.read(fd, 65536)
                if not chunk:
                    raise RuntimeError("scenario exited (rc=%s) before printing its line" % self.proc.wait())
                buf += chunk
        return buf.split(b"\n", 1)[0]

    def config(self, name="nestwarden.conf", **overrides):
        """Writes a config pointing at the scenario; overrides are (section, key) -> value."""
        conf = {
            ("vcenter", "url"): self.url,
            ("vcenter", "user"): USER,
            ("vcenter", "password_file"): self.password_file,
            ("vcenter", "ca_file"): self.ca_file,
            ("selection", "tag_category"): "nested",
            ("selection", "tag"): "nested-hyperv",
        }
        for key, value in overrides.items():
            section, _, k = key.partition("__")
            if value is None:
                conf.pop((section, k), None)
            else:
                conf[(section, k)] = value
        path = os.path.join(self.tmp, name)
        with open(path, "w") as f:
            # Every section asked for: one left out would silently drop its keys.
            extra = sorted({s for s, _ in conf} - {"vcenter", "selection", "policy"})
            for section in ("vcenter", "selection", "policy", *extra):
                f.write("[%s]\n" % section)
                for (s, k), v in conf.items():
                    if s == section:
                        f.write("%s = %s\n" % (k, v))
        return path

    def stop(self):
        procs.terminate(self.proc)
        self.proc.stdout.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.stop()


def run_check(config, *args, timeout=120):
    """Runs `nestwarden check`; returns (rc, stdout, stderr)."""
    p = subprocess.run([os.environ["NW_BIN"], "check", "--config", config, *args],
                       capture_output=True, text=True, timeout=timeout)
    return p.returncode, p.stdout, p.stderr
