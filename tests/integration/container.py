"""A container with a real systemd as PID 1, booted over an overlay of this machine's own root.

No image and no network are needed: the container's root is an overlay with `/` as its lower layer
and a tmpfs as its upper one, so it runs the very programs and libraries installed here, and
everything done inside (dpkg -i, /etc edits, the journal) lands in the tmpfs and vanishes with it.
It shares the host's network, so it reaches a simulator on 127.0.0.1.

The mounts, and the tmpfs nspawn wants on /run/systemd, exist only in a private mount namespace
(`unshare -m`) around systemd-nspawn: when its processes end, the namespace and every mount go with
it, whatever happened to the test. Nothing on the host's /run or mount table is touched.

    with Container() as c:             # boots; raises Unavailable where this machine cannot
        c.run("systemctl", "is-system-running")
        c.write("/etc/nestwarden/nestwarden.conf", text, mode=0o644)
        host_pid = c.host_pid(c.main_pid("nestwarden"))

Commands run inside with `nsenter -a` on the container's PID 1 (all its namespaces and its root).
"""
import os
import shutil
import signal
import subprocess
import tempfile
import time

import procs

BOOT_TIMEOUT = 120

# Runs inside `unshare -m --propagation private`: $1 is the work directory.
_BOOT = r'''
set -eu
W=$1
mount -t tmpfs nw-nspawn-run /run/systemd
mount -t tmpfs nw-nspawn-upper "$W/up"
mkdir "$W/up/u" "$W/up/w"
mount -t overlay overlay -o "lowerdir=/,upperdir=$W/up/u,workdir=$W/up/w" "$W/root"
# nspawn wants an empty /dev to mount its own; deleting in the overlay leaves whiteouts only.
find "$W/root/dev" -mindepth 1 -maxdepth 1 -exec rm -rf {} +
# A machine-id of its own, so its journal is not the host's.
rm -f "$W/root/etc/machine-id"
tr -d - </proc/sys/kernel/random/uuid >"$W/root/etc/machine-id"
# No systemd on the host: nothing to register with and no scope to create.
exec systemd-nspawn --quiet --register=no --keep-unit --link-journal=no -D "$W/root" --boot
'''

CLEAN_ENV = {"PATH": "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "LANG": "C.UTF-8",
             "SYSTEMD_PAGER": "", "SYSTEMD_COLORS": "0", "TERM": "dumb"}


class Unavailable(Exception):
    """This machine cannot boot the container (not root, no nspawn, no overlayfs): skip, saying why."""


def _probe():
    """Why a container cannot be had here, or None."""
    if os.geteuid() != 0:
        return "needs root (mounts, namespaces, systemd-nspawn)"
    for tool in ("systemd-nspawn", "nsenter", "unshare"):
        if not shutil.which(tool):
            return "%s is not installed (Debian: systemd-container, util-linux)" % tool
    with tempfile.TemporaryDirectory(prefix="nw-ovl-probe-") as d:
        for sub in ("u", "w", "m"):
            os.mkdir(os.path.join(d, sub))
        p = subprocess.run(["unshare", "-m", "--propagation", "private", "mount", "-t", "overlay", "overlay",
                            "-o", "lowerdir=/,upperdir=%s/u,workdir=%s/w" % (d, d), d + "/m"],
                           capture_output=True, text=True)
        if p.returncode != 0:
            return "cannot mount an overlay of / in a private mount namespace: " + p.stderr.strip()
    return None


class Container:
    def __init__(self, boot_timeout=BOOT_TIMEOUT):
        why = _probe()
        if why:
            raise Unavailable(why)
        self.dir = tempfile.mkdtemp(prefix="nw-nspawn-")
        os.mkdir(os.path.join(self.dir, "up"))
        os.mkdir(os.path.join(self.dir, "root"))
        self.log = os.path.join(self.dir, "boot.log")
        self.pid1 = None
        with open(self.log, "w") as log:
            self.proc = subprocess.Popen(["unshare", "-m", "--propagation", "private", "sh", "-c", _BOOT, "sh",
                                          self.dir], stdin=subprocess.DEVNULL, stdout=log, stderr=log,
                                         start_new_session=True)
        try:
            self._wait_booted(boot_timeout)
        except BaseException:
            self.stop()
            raise

    def _find_pid1(self):
        """The container's systemd: a child of nspawn that is PID 1 of its own PID namespace."""
        for pid in os.listdir("/proc"):
            if not pid.isdigit():
                continue
            try:
                with open("/proc/%s/status" % pid) as f:
                    status = dict(line.rstrip("\n").split(":\t", 1) for line in f if ":\t" in line)
            except OSError:
                continue
            if status.get("PPid") == str(self.proc.pid) and status.get("NSpid", "").split()[-1:] == ["1"]:
                return int(pid)
        return None

    def _wait_booted(self, timeout):
        deadline = time.monotonic() + timeout
        state = ""
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError("systemd-nspawn exited (%s) during boot:\n%s" % (self.proc.returncode, self.boot_log()))
            if self.pid1 is None:
                self.pid1 = self._find_pid1()
            if self.pid1 is not None:
                state = self.run("systemctl", "is-system-running", check=False).stdout.strip()
                if state in ("running", "degraded"):
                    return
            time.sleep(0.5)
        raise TimeoutError("container not up within %d s (last state %r):\n%s" % (timeout, state, self.boot_log()))

    def boot_log(self):
        with open(self.log, errors="replace") as f:
            return f.read()[-4000:]

    def run(self, *cmd, check=True, input=None, timeout=120):
        """Runs cmd inside (all the container's namespaces, its root); returns the CompletedProcess."""
        p = subprocess.run(["nsenter", "-t", str(self.pid1), "-a", *cmd], input=input, capture_output=True,
                           text=True, env=CLEAN_ENV, timeout=timeout)
        if check and p.returncode != 0:
            raise AssertionError("in the container: %s: exit %d\n%s%s" % (" ".join(cmd), p.returncode, p.stdout,
                                                                          p.stderr))
        return p

    def path(self, inside):
        """The host's way to a path inside the container (through PID 1's root and mounts)."""
        return "/proc/%d/root/%s" % (self.pid1, inside.lstrip("/"))

    def write(self, inside, data, mode=0o644):
        path = self.path(inside)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        if os.path.exists(path):
            os.unlink(path)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, mode)
        with open(fd, "wb" if isinstance(data, bytes) else "w") as f:
            f.write(data)
        os.chmod(path, mode)

    def read(self, inside):
        with open(self.path(inside)) as f:
            return f.read()

    def host_pid(self, pid):
        """The host's PID of the container's process pid (its NSpid ends with pid)."""
        for p in os.listdir("/proc"):
            if not p.isdigit():
                continue
            try:
                with open("/proc/%s/status" % p) as f:
                    for line in f:
                        if line.startswith("NSpid:"):
                            ids = line.split()[1:]
                            if len(ids) >= 2 and ids[-1] == str(pid) and self._in_container(int(p)):
                                return int(p)
                            break
            except OSError:
                continue
        raise LookupError("no host process for container PID %d" % pid)

    def _in_container(self, pid):
        try:
            return os.readlink("/proc/%d/ns/pid" % pid) == os.readlink("/proc/%d/ns/pid" % self.pid1)
        except OSError:
            return False

    def stop(self):
        """Powers the container off, or kills it; the private namespace and its mounts go with it."""
        if self.proc.poll() is None and self.pid1 is not None:
            subprocess.run(["nsenter", "-t", str(self.pid1), "-a", "systemctl", "poweroff", "--no-block"],
                           capture_output=True, env=CLEAN_ENV, timeout=30)
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                pass
        if self.proc.poll() is None and self.pid1 is not None:
            # Killing PID 1 of a PID namespace kills every process in it.
            try:
                os.kill(self.pid1, signal.SIGKILL)
            except ProcessLookupError:
                pass
        procs.terminate(self.proc)
        # The mounts were private to the namespace that just ended: only empty directories are left.
        shutil.rmtree(self.dir, ignore_errors=True)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.stop()
