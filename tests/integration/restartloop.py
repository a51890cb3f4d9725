"""The kill/restart loop behind tests/integration/test_restart.py and bench/restart.py: `nestwarden run`
watches the scenario while the scenario is SIGKILLed and started again, with the same port and
certificate, at random moments (a seeded RNG, so a run can be repeated), many times over.

run() needs a private journald (journald.Journald) and NW_BIN / NW_SCENARIO in the environment. It
asserts nothing: it returns what happened (journal counts, the daemon's fd count and RSS, where each
kill landed) and the caller judges.

Where the kills land. Each cycle waits a random moment, 0 to max_delay seconds from the previous
restart, then kills the scenario (restarts do not wait for it to serve: a kill may come while it
starts up). The daemon is then somewhere on its way back: asleep between attempts (backoff), logging
in, gathering, or in a long-poll once it has regained vCenter. Logging in and gathering take a few
ms out of every 2 s, so a third of the cycles that find the daemon on its way back aim at its next
attempt instead (its fd count rises as it wakes) and kill 0 to 15 ms into it. Just before each kill
the daemon's current system call (/proc/PID/syscall) and the last line it logged on stderr (debug
level) say where it was: the breakdown is in Result.phases.

Two kills in a row that the daemon did not recover from make the next cycle wait for its REGAINED
entry first: otherwise its backoff (1 s doubling) would grow to minutes and the later kills would
all hit a sleeping daemon. Every `settle_every` cycles, and at the end, the loop also waits for
REGAINED and a quiet journal, and measures the daemon's open fds and RSS in that steady state (a
long-poll with the session up): those samples are comparable with each other, the per-kill ones
(taken in whatever phase the kill lands) are not.
"""
import os
import random
import shutil
import signal
import socket
import subprocess
import tempfile
import time

import procs

from daemon import Daemon
from events import DRIFT, LOST, REGAINED, RESOLVED
from scenario import Scenario, _die_with_parent


WATCHDOG_USEC = 10_000_000
# Bigger than the curated world alone, so that a gather takes long enough to be killed in and one
# inventory kept per cycle shows in the RSS (see RSS_SLACK_KB).
WORLD = ("-vms", "200", "-tagged", "100", "-portgroups", "10")
TAG_REFRESH = 5          # the shortest [daemon] tag_refresh: tag lookups between the long-polls
SLEEP_SYSCALLS = {"35", "230"}  # nanosleep, clock_nanosleep: pause_for() between attempts


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def proc_sample(pid):
    """(open fds, VmRSS in kB) of a live process."""
    fds = len(os.listdir("/proc/%d/fd" % pid))
    with open("/proc/%d/status" % pid) as f:
        rss = next(int(line.split()[1]) for line in f if line.startswith("VmRSS:"))
    return fds, rss


def _syscall(pid):
    try:
        with open("/proc/%d/syscall" % pid) as f:
            return f.read().split(" ", 1)[0].strip()
    except OSError:
        return "?"


# The daemon's stderr lines (debug level) that mark where it is on its way back, newest wins.
_MARKS = (("lost", "retrying with backoff"), ("lost", "still unreachable"), ("lost", "session expired"),
          ("gather", "logged in to"), ("gather", "full gather of"),
          ("watch", " regained after"), ("watch", "watching "))


class Result:
    def __init__(self, seed, cycles):
        self.seed = seed
        self.cycles = cycles
        self.kills = []            # per cycle: dict(cycle, delay, phase, fds, rss)
        self.steady = []           # dict(cycle, fds, rss) at each settle point, the end last
        self.baseline = 0          # DRIFT entries expected at start (the scenario's truth)
        self.drift = self.resolved = self.lost = self.regained = 0
        self.alternating = False   # LOST, REGAINED, LOST, ... in journal order, ending REGAINED
        self.alive = False         # the daemon still running after the loop
        self.exit_code = None      # its exit code after SIGTERM at the end
        self.watchdog_gap = 0.0    # longest time between two WATCHDOG=1 (s)
        self.asan = False          # the daemon runs under AddressSanitizer: its RSS says nothing
        self.wall = 0.0
        self.stderr_tail = ""

    @property
    def phases(self):
        out = {}
        for k in self.kills:
            out[k["phase"]] = out.get(k["phase"], 0) + 1
        return out


class _Loop:
    def __init__(self, journal, tmp, progress):
        self.journal = journal
        self.tmp = tmp
        self.progress = progress
        self.flags = ("-listen", "127.0.0.1:%d" % free_port(), "-tls-dir", os.path.join(tmp, "tls"),
                      *WORLD)
        self.scn = None
        self.proc = None
        self.daemon = None
        self.stderr_at = 0
        self.state = "watch"

    def start_scenario(self):
        """The first start waits until the scenario serves (its line: URL and truth); restarts run the
        same command line and do not wait, so that a kill may also come while it is starting up."""
        if self.scn is None:
            self.scn = Scenario(*self.flags, tmp=self.tmp)
            self.proc = self.scn.proc
            return
        with open(os.path.join(self.tmp, "scenario-restarts.log"), "a") as log:
            self.proc = subprocess.Popen(self.scn.proc.args, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                         stderr=log, preexec_fn=_die_with_parent)

    def kill_scenario(self):
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait()

    def stop_scenario(self):
        if self.proc:
            procs.terminate(self.proc)
        if self.scn:
            self.scn.stop()

    def await_attempt(self, timeout=10.0):
        """Waits, while the daemon sleeps between attempts, for its next attempt to begin (it opens the
        password file, then its connection: its fd count rises). False if it never slept or never woke."""
        pid, base = self.daemon.proc.pid, None
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            asleep = _syscall(pid) in SLEEP_SYSCALLS
            fds = len(os.listdir("/proc/%d/fd" % pid))
            if asleep:
                base = fds if base is None else min(base, fds)
            elif base is not None and fds > base:
                return True
            time.sleep(0.001)
        return False

    def count(self, message_id):
        return len(self.journal.entries(MESSAGE_ID=message_id))

    def check_alive(self, when):
        if self.daemon.proc.poll() is not None:
            raise AssertionError("daemon exited with %s %s:\n%s" % (self.daemon.proc.returncode, when,
                                                                   self.stderr_tail()))

    def wait_regained(self, timeout):
        """Until every LOST has its REGAINED (the daemon has gathered again and is watching)."""
        deadline = time.monotonic() + timeout
        while True:
            lost, regained = self.count(LOST), self.count(REGAINED)
            if regained >= lost:
                return
            self.check_alive("waiting for REGAINED")
            if time.monotonic() > deadline:
                raise AssertionError("%d LOST, %d REGAINED after %d s:\n%s" % (lost, regained, timeout,
                                                                              self.stderr_tail()))
            time.sleep(0.1)

    def wait_quiet(self, quiet=2.0, timeout=60):
        """Until the daemon has logged nothing for `quiet` seconds (a long-poll with no news)."""
        deadline = time.monotonic() + timeout
        n, since = -1, time.monotonic()
        while time.monotonic() < deadline:
            m = len(self.journal.entries(SYSLOG_IDENTIFIER="nestwarden"))
            if m != n:
                n, since = m, time.monotonic()
            elif time.monotonic() - since >= quiet:
                return
            time.sleep(0.2)
        raise AssertionError("the daemon never fell quiet for %.0f s:\n%s" % (quiet, self.stderr_tail()))

    def stderr_tail(self, chars=4000):
        return self.daemon.stderr()[-chars:]

    def phase(self):
        """Where the daemon is right now: backoff, login, gather or long-poll."""
        text = self.daemon.stderr()
        new, self.stderr_at = text[self.stderr_at:], len(text)
        for line in new.splitlines():
            for state, mark in _MARKS:
                if mark in line:
                    self.state = state
        if _syscall(self.daemon.proc.pid) in SLEEP_SYSCALLS:
            return "backoff"
        return {"lost": "login", "gather": "gather", "watch": "long-poll"}[self.state]

    def steady(self, res, cycle, timeout):
        self.wait_regained(timeout)
        self.wait_quiet()
        fds, rss = proc_sample(self.daemon.proc.pid)
        res.steady.append({"cycle": cycle, "fds": fds, "rss": rss})
        self.progress("cycle %d: steady: %d fds, RSS %d kB" % (cycle, fds, rss))


def run(journal, cycles, seed, max_delay=2.0, settle_every=5, progress=None, regain_timeout=120):
    """Runs the loop; returns a Result. progress(str) gets a line per cycle when given."""
    # meson test sets MALLOC_PERTURB_: glibc then writes over every freed chunk, which touches the
    # pages and makes RSS follow the heap's high-water mark (+240 kB over 20 cycles, against +36 kB
    # without), too close to what a leaked inventory per cycle adds.
    os.environ.pop("MALLOC_PERTURB_", None)
    rng = random.Random(seed)
    res = Result(seed, cycles)
    tmp = tempfile.mkdtemp(prefix="nw-soak-")
    loop = _Loop(journal, tmp, progress or (lambda s: None))
    t0 = time.monotonic()
    loop.start_scenario()
    try:
        truth = loop.scn.truth
        res.baseline = len(truth["findings"]) + len(truth["template_findings"])
        conf = loop.scn.config()
        with open(conf, "a") as f:
            f.write("[daemon]\ntag_refresh = %d\nlog_level = debug\n" % TAG_REFRESH)
        loop.daemon = Daemon(conf, watchdog_usec=WATCHDOG_USEC, tmp=tmp)
        try:
            loop.daemon.notify.wait_for("READY", "1", timeout=120)
            with open("/proc/%d/maps" % loop.daemon.proc.pid) as f:
                res.asan = "libasan" in f.read()
            journal.wait_for(res.baseline, timeout=60, MESSAGE_ID=DRIFT)
            _cycles(loop, rng, res, cycles, max_delay, settle_every, regain_timeout)
            loop.steady(res, cycles, regain_timeout)
            res.drift, res.resolved = loop.count(DRIFT), loop.count(RESOLVED)
            events = [e["MESSAGE_ID"] for e in journal.entries(SYSLOG_IDENTIFIER="nestwarden")
                      if e.get("MESSAGE_ID") in (LOST, REGAINED)]
            res.lost, res.regained = events.count(LOST), events.count(REGAINED)
            res.alternating = events == [LOST, REGAINED] * (len(events) // 2)
            res.alive = loop.daemon.proc.poll() is None
            beats = [t for t, f in loop.daemon.notify.all("WATCHDOG")]
            res.watchdog_gap = max((b - a for a, b in zip(beats, beats[1:])), default=0.0)
        finally:
            res.stderr_tail = loop.stderr_tail()
            res.exit_code, _ = loop.daemon.stop()
            loop.daemon.close()
    finally:
        loop.stop_scenario()
        shutil.rmtree(tmp, ignore_errors=True)
    res.wall = time.monotonic() - t0
    return res


def _cycles(loop, rng, res, cycles, max_delay, settle_every, regain_timeout):
    unrecovered = 0  # kills since the daemon last regained vCenter
    for cycle in range(1, cycles + 1):
        if unrecovered >= 2:
            loop.wait_regained(regain_timeout)
            unrecovered = 0
        elif unrecovered and loop.count(REGAINED) >= loop.count(LOST):
            unrecovered = 0
        # Logging in and gathering take a few ms of every 2 s: a third of the cycles that find the
        # daemon on its way back aim at its next attempt instead, and kill 0 to 15 ms into it.
        aim, delay, into = rng.random() < 1 / 3, rng.uniform(0.0, max_delay), rng.uniform(0.0, 0.015)
        t = time.monotonic()
        aimed = aim and unrecovered > 0 and loop.await_attempt(timeout=6.0)
        if aimed:
            time.sleep(into)
            delay = time.monotonic() - t
        else:
            time.sleep(max(0.0, delay - (time.monotonic() - t)))
        loop.check_alive("in cycle %d" % cycle)
        phase = loop.phase()
        fds, rss = proc_sample(loop.daemon.proc.pid)
        loop.kill_scenario()
        loop.start_scenario()
        unrecovered += 1
        res.kills.append({"cycle": cycle, "delay": delay, "aimed": aimed, "phase": phase, "fds": fds, "rss": rss})
        loop.progress("cycle %d: killed after %.3f s%s, daemon in %s: %d fds, RSS %d kB" % (
            cycle, delay, " (aimed at its reconnect)" if aimed else "", phase, fds, rss))
        if settle_every and cycle % settle_every == 0 and cycle < cycles:
            loop.steady(res, cycle, regain_timeout)
            unrecovered = 0


# Steady-state growth allowed from the first settle point (cycle 5) to the end. A leaked fd per
# cycle is +15 after 20 cycles. One inventory of WORLD kept per cycle (measured with a daemon that
# drops the old facts instead of freeing them) is +716 kB after 20 cycles; the real daemon grows
# by tens of kB (malloc's high-water mark), then not at all.
FD_SLACK = 2
RSS_SLACK_KB = 360


def problems(res, fd_slack=FD_SLACK, rss_slack_kb=RSS_SLACK_KB):
    """What is wrong with a run, as sentences; [] when it survived."""
    out = []
    if not res.alive:
        out.append("the daemon died")
    if res.exit_code != 0:
        out.append("exit code %s after SIGTERM (a LeakSanitizer report: 23, or -6 with abort_on_error)" % res.exit_code)
    if res.drift != res.baseline:
        out.append("%d DRIFT entries, the scenario has %d findings" % (res.drift, res.baseline))
    if res.resolved:
        out.append("%d RESOLVED entries for a world that never changed" % res.resolved)
    if not 0 < res.lost <= res.cycles:
        out.append("%d LOST entries for %d kills" % (res.lost, res.cycles))
    if not res.alternating:
        out.append("LOST and REGAINED do not alternate (%d / %d)" % (res.lost, res.regained))
    if res.watchdog_gap >= WATCHDOG_USEC / 1e6:
        out.append("%.1f s between two WATCHDOG=1: systemd would have killed it" % res.watchdog_gap)
    if len(res.steady) >= 2:
        first, last = res.steady[0], res.steady[-1]
        if abs(last["fds"] - first["fds"]) > fd_slack:
            out.append("open fds %d after cycle %d, %d at the end" % (first["fds"], first["cycle"], last["fds"]))
        # ASan keeps freed memory in quarantine (megabytes per cycle here); LeakSanitizer's verdict
        # at exit stands in for the RSS bound there.
        if not res.asan and last["rss"] - first["rss"] >= rss_slack_kb:
            out.append("RSS %d kB after cycle %d, %d kB at the end" % (first["rss"], first["cycle"], last["rss"]))
    else:
        out.append("fewer than two steady-state samples (run more than settle_every cycles)")
    return out
