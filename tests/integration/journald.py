"""A private, real systemd-journald for integration tests.

The test process moves into its own mount namespace and mounts tmpfs over everything journald and
journalctl write (/run/systemd, /run/log, /var/log/journal, /var/lib/systemd/catalog), then starts
/lib/systemd/systemd-journald by itself. Anything the test runs then logs to that journald through
the usual /run/systemd/journal/socket, and `journalctl` reads it back. The host's journal, /run and
catalog database are never touched: the mounts exist only inside the namespace.

Use (as root; skips with exit 77 where a mount namespace cannot be had):

    import journald

    if __name__ == "__main__":
        journald.enter_private_namespace()   # first thing: re-executes the script under `unshare -m`
        unittest.main()

    # in a test (from the main thread: journald gets SIGTERM when the thread that started it ends):
    with journald.Journald(catalogs=["/path/to/nestwarden.catalog"]) as j:
        subprocess.run([...])                # logs via sd_journal_send(v) or the stdout stream socket
        got = j.wait_for(3, MESSAGE_ID="a06d...")   # >= 3 matching entries, or AssertionError
        now = j.entries(SYSLOG_IDENTIFIER="nestwarden", PRIORITY="4")   # what is there right now
        text = j.journalctl("-x", "-o", "short", "MESSAGE_ID=a06d...")

entries() and wait_for() take journalctl matches as keyword arguments (FIELD=value, ANDed) and
return the entries, oldest first, as dicts from `journalctl -o json --all`: every value a str
(binary ones decoded as UTF-8 with replacement), or a list of str for a field given more than once.
Before reading they run `journalctl --sync` (varlink, to the io.systemd.journal socket journald
creates itself): journald answers only after handling every datagram already queued on its socket,
so whatever a process sent before the call is there when it returns. wait_for() still polls up to
its timeout, for processes that are still running when it is called.

Things to know:
- The namespace covers the whole test process and its children: a daemon started by the test logs
  here with no extra setting. NOTIFY_SOCKET and friends are taken out of journald's own environment
  so it never talks to an outer service manager.
- journald also logs its own lines ("Journal started"); always match (SYSLOG_IDENTIFIER,
  MESSAGE_ID, _PID, ...). `nestwarden run` uses SYSLOG_IDENTIFIER=nestwarden for plain log lines
  too: match events by MESSAGE_ID.
- syslog(3) goes to /dev/log, which stays the host's: use sd_journal_* or stdout.
- Several Journald() in turn in one process are fine; each starts with an empty journal.
- journald's own output is in the file named by Journald.log.
"""
import ctypes
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time

import procs

JOURNALD = "/lib/systemd/systemd-journald"
SOCKET = "/run/systemd/journal/socket"
VARLINK = "/run/systemd/journal/io.systemd.journal"
CATALOG_DIR = "/usr/lib/systemd/catalog"
_MARK = "NW_JOURNALD_NAMESPACE_PID"

# Sorted after any drop-in the host has, so these win.
_CONF = """[Journal]
Storage=volatile
ReadKMsg=no
Audit=no
ForwardToSyslog=no
ForwardToKMsg=no
ForwardToConsole=no
ForwardToWall=no
RateLimitIntervalSec=0
RuntimeMaxUse=64M
"""


def _skip(why):
    print("SKIP: " + why)
    sys.exit(77)


def _mount_ns():
    return os.readlink("/proc/self/ns/mnt")


def in_private_namespace():
    """True when enter_private_namespace() moved this process out of the mount namespace it was
    started in. (PID 1's namespace is no reference: /proc/1/ns is unreadable in some containers.)"""
    mark = os.environ.get(_MARK, "")
    pid, _, outer = mark.partition(" ")
    return pid == str(os.getpid()) and outer != "" and outer != _mount_ns()


def enter_private_namespace():
    """Re-executes the running script inside `unshare -m` (private propagation), once. Exits 77
    when not root or when unshare cannot create a mount namespace here."""
    if in_private_namespace():
        return
    if os.environ.get(_MARK, "").partition(" ")[0] == str(os.getpid()):
        _skip("unshare -m did not give this process a new mount namespace")  # never loop on exec
    if os.geteuid() != 0:
        _skip("a private journald needs root (mount namespace, tmpfs mounts)")
    if not os.access(JOURNALD, os.X_OK):
        _skip(JOURNALD + " is not installed")
    probe = subprocess.run(["unshare", "-m", "--propagation", "private", "true"],
                           stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    if probe.returncode != 0:
        _skip("unshare -m impossible here: " + probe.stderr.strip())
    env = dict(os.environ)
    # exec keeps the PID, so the re-executed script can tell it is the one inside, in a new namespace.
    env[_MARK] = "%d %s" % (os.getpid(), _mount_ns())
    sys.stdout.flush()
    sys.stderr.flush()
    os.execvpe("unshare", ["unshare", "-m", "--propagation", "private", sys.executable] + sys.argv, env)


def _run(*cmd):
    p = subprocess.run(list(cmd), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    if p.returncode != 0:
        raise RuntimeError("%s: exit %d: %s" % (" ".join(cmd), p.returncode, p.stderr.strip()))
    return p.stdout


def _pdeathsig():
    # If the test dies without cleaning up, journald must not outlive it.
    libc = ctypes.CDLL(None, use_errno=True)
    libc.prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG


def _decode(v):
    if isinstance(v, list) and all(isinstance(x, int) for x in v):
        return bytes(v).decode("utf-8", "replace")
    if isinstance(v, list):
        return [_decode(x) for x in v]
    return v


class Journald:
    def __init__(self, catalogs=(), timeout=10):
        self.catalogs = [os.path.abspath(c) for c in catalogs]
        self.timeout = timeout
        self.proc = None
        self.log = None
        self._mounts = []
        self._tmp = None

    # --- set-up ---

    def _mount(self, *args):
        _run("mount", *args)
        self._mounts.append(args[-1])

    def _tmpfs(self, path):
        self._mount("-t", "tmpfs", "-o", "mode=0755,size=128m", "nestwarden-test", path)

    def _mount_all(self):
        # The namespace hides mounts, not files: whatever journald writes outside a tmpfs mounted
        # here lands on the host's disk. So never create a missing directory; cover its parent.
        if os.path.isdir("/run/systemd") and os.path.isdir("/run/log"):
            self._tmpfs("/run/systemd")
            self._tmpfs("/run/log")
        else:
            self._tmpfs("/run")
        if os.path.isdir("/var/lib/systemd/catalog"):
            self._tmpfs("/var/lib/systemd/catalog")
        elif os.path.isdir("/var/lib/systemd"):
            self._tmpfs("/var/lib/systemd")
        else:
            raise RuntimeError("/var/lib/systemd does not exist; not creating it on the host")
        if os.path.isdir("/var/log/journal"):
            # Storage=volatile keeps journald off it already; this is in case a host drop-in wins.
            self._tmpfs("/var/log/journal")
        os.makedirs("/run/systemd/journald.conf.d")
        with open("/run/systemd/journald.conf.d/zz-nestwarden-test.conf", "w") as f:
            f.write(_CONF)
        if self.catalogs:
            # journalctl --update-catalog reads only /usr/lib and /usr/local/lib: give it a copy of
            # the system's catalogs plus ours (bind-mounted, so the test sees the file as it is in
            # the repo), in a tmpfs bind-mounted over the real directory.
            if not os.path.isdir(CATALOG_DIR):
                raise RuntimeError(CATALOG_DIR + " does not exist; not creating it on the host")
            stage = os.path.join(self._tmp, "catalog")
            os.mkdir(stage)
            self._tmpfs(stage)
            for name in os.listdir(CATALOG_DIR):
                shutil.copy(os.path.join(CATALOG_DIR, name), stage)
            for c in self.catalogs:
                open(os.path.join(stage, os.path.basename(c)), "w").close()
            # A plain bind does not carry submounts along: bind the directory first, the files into it.
            self._mount("--bind", stage, CATALOG_DIR)
            for c in self.catalogs:
                self._mount("--bind", c, os.path.join(CATALOG_DIR, os.path.basename(c)))

    def _start(self):
        self.log = os.path.join(self._tmp, "journald.log")
        env = {k: v for k, v in os.environ.items()
               if k not in ("NOTIFY_SOCKET", "WATCHDOG_PID", "WATCHDOG_USEC", "LISTEN_FDS", "LISTEN_PID",
                            "LISTEN_FDNAMES", "JOURNAL_STREAM", "INVOCATION_ID")}
        with open(self.log, "w") as log:
            self.proc = subprocess.Popen([JOURNALD], stdin=subprocess.DEVNULL, stdout=log, stderr=log,
                                         env=env, preexec_fn=_pdeathsig)
        # Not socket-activated, journald creates its sockets itself; the varlink one (for --sync)
        # comes last.
        deadline = time.monotonic() + self.timeout
        while not (os.path.exists(SOCKET) and os.path.exists(VARLINK)):
            if self.proc.poll() is not None:
                raise RuntimeError("systemd-journald exited with %d: %s" % (self.proc.returncode, self.read_log()))
            if time.monotonic() > deadline:
                raise RuntimeError("systemd-journald created no %s within %ds: %s" % (SOCKET, self.timeout,
                                                                                     self.read_log()))
            time.sleep(0.05)

    def __enter__(self):
        if not in_private_namespace():
            raise RuntimeError("Journald() outside a private mount namespace: call "
                               "journald.enter_private_namespace() first")
        self._tmp = tempfile.mkdtemp(prefix="nw-journald-")
        try:
            self._mount_all()
            self._start()
            if self.catalogs:
                self.journalctl("--update-catalog")
        except BaseException:
            self.stop()
            raise
        return self

    def __exit__(self, *exc):
        self.stop()
        return False

    def stop(self):
        """Stops journald (by its PID) and removes the mounts; safe to call twice."""
        if self.proc:
            procs.terminate(self.proc)
        while self._mounts:
            subprocess.run(["umount", self._mounts.pop()], stderr=subprocess.DEVNULL)
        if self._tmp:
            shutil.rmtree(self._tmp, ignore_errors=True)
            self._tmp = None

    def read_log(self):
        try:
            with open(self.log) as f:
                return f.read()
        except (OSError, TypeError):
            return ""

    # --- reading ---

    def journalctl(self, *args):
        """Runs the real journalctl with args; returns its stdout (raises on failure)."""
        env = dict(os.environ, SYSTEMD_COLORS="0", SYSTEMD_PAGER="", LC_ALL="C.UTF-8")
        p = subprocess.run(["journalctl", "--no-pager"] + list(args), stdout=subprocess.PIPE,
                           stderr=subprocess.PIPE, env=env, text=True)
        if p.returncode != 0:
            raise RuntimeError("journalctl %s: exit %d: %s" % (" ".join(args), p.returncode, p.stderr.strip()))
        return p.stdout

    def sync(self):
        self.journalctl("--sync")

    def entries(self, **match):
        """The entries matching FIELD=value (all of them), oldest first, after a sync."""
        self.sync()
        out = self.journalctl("-o", "json", "--all", *("%s=%s" % kv for kv in match.items()))
        return [{k: _decode(v) for k, v in json.loads(line).items()} for line in out.splitlines() if line]

    def wait_for(self, count, timeout=None, **match):
        """Polls entries(**match) until at least count are there; AssertionError at the deadline."""
        deadline = time.monotonic() + (timeout or self.timeout)
        while True:
            got = self.entries(**match)
            if len(got) >= count:
                return got
            if time.monotonic() > deadline:
                raise AssertionError("%d journal entries matching %r, want %d" % (len(got), match, count))
            time.sleep(0.1)
