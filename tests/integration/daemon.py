"""Runs `nestwarden run` for a test with its own sd_notify socket, and stops it by PID, on failure too."""
import os
import socket
import subprocess
import tempfile
import threading
import time

import procs


class Notifications:
    """A datagram socket standing in for systemd's NOTIFY_SOCKET; records (time, fields) per message."""

    def __init__(self, tmp):
        self.path = os.path.join(tmp, "notify.sock")
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self.sock.bind(self.path)
        self.sock.settimeout(0.2)
        self.messages = []
        self.lock = threading.Lock()
        self.stopped = False
        self.thread = threading.Thread(target=self._loop, daemon=True)
        self.thread.start()

    def _loop(self):
        while not self.stopped:
            try:
                data = self.sock.recv(65536)
            except socket.timeout:
                continue
            except OSError:
                return
            fields = dict(line.split("=", 1) for line in data.decode().splitlines() if "=" in line)
            with self.lock:
                self.messages.append((time.monotonic(), fields))

    def all(self, key=None):
        with self.lock:
            return [(t, f) for t, f in self.messages if key is None or key in f]

    def wait_for(self, key, value=None, after=0.0, timeout=30):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for t, f in self.all(key):
                if t >= after and (value is None or f[key] == value):
                    return t, f
            time.sleep(0.05)
        raise AssertionError("no %s=%s notification within %ss; got %r" % (key, value, timeout, self.all()))

    def close(self):
        self.stopped = True
        self.thread.join()
        self.sock.close()


class Daemon:
    """nestwarden run --config CONFIG with NOTIFY_SOCKET (and WATCHDOG_USEC when given)."""

    def __init__(self, config, watchdog_usec=None, env=None, tmp=None):
        self.tmp = tmp or tempfile.mkdtemp(prefix="nw-run-")
        self.notify = Notifications(self.tmp)
        e = dict(os.environ, NOTIFY_SOCKET=self.notify.path)
        e.pop("JOURNAL_STREAM", None)
        if watchdog_usec:
            e["WATCHDOG_USEC"] = str(watchdog_usec)
        e.update(env or {})
        self.stderr_path = os.path.join(self.tmp, "daemon.stderr")
        with open(self.stderr_path, "w") as err:
            self.proc = subprocess.Popen([os.environ["NW_BIN"], "run", "--config", config], env=e,
                                         stdout=subprocess.DEVNULL, stderr=err)

    def stderr(self):
        with open(self.stderr_path) as f:
            return f.read()

    def signal(self, sig):
        self.proc.send_signal(sig)

    def stop(self, timeout=10):
        """SIGTERM, then wait; returns (exit code, seconds it took)."""
        if self.proc.poll() is not None:
            return self.proc.returncode, 0.0
        t = time.monotonic()
        procs.terminate(self.proc, timeout)
        return self.proc.returncode, time.monotonic() - t

    def close(self):
        self.stop()
        self.notify.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


def start_ready(test, conf, tag_refresh=5, watchdog_usec=10_000_000):
    """Starts `run` on conf (with [daemon] tag_refresh appended) for a unittest.TestCase, stopped at its
    cleanup, and returns it once it said READY=1; its stderr is in the failure otherwise."""
    with open(conf, "a") as f:
        f.write("[daemon]\ntag_refresh = %d\n" % tag_refresh)
    d = Daemon(conf, watchdog_usec=watchdog_usec)
    test.addCleanup(d.close)
    try:
        d.notify.wait_for("READY", "1")
    except AssertionError:
        raise AssertionError("daemon not ready (exit %s); stderr:\n%s" % (d.proc.poll(), d.stderr()))
    return d
