#!/usr/bin/python3
"""Benchmark: `nestwarden run` watching a large inventory while nothing changes. Reports the
daemon's RSS (start, end, peak) and CPU time over the watch. Not a test: it measures.

  bench/idle.py BUILDDIR [--vms 5000] [--tagged 1000] [--hosts 10] [--portgroups 50] [--seconds 300]

Runs inside a private mount namespace with its own journald (tests/integration/journald.py), so the
baseline drift events do not land in the host's journal.
"""
import argparse
import os
import sys
import time

here = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(here, "..", "tests", "integration"))
import journald  # noqa: E402


def proc_stats(pid):
    with open("/proc/%d/status" % pid) as f:
        rss = next(int(line.split()[1]) for line in f if line.startswith("VmRSS:"))
    with open("/proc/%d/stat" % pid) as f:
        fields = f.read().rsplit(")", 1)[1].split()
    ticks = os.sysconf("SC_CLK_TCK")
    return rss, (int(fields[11]) + int(fields[12])) / ticks


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("builddir")
    ap.add_argument("--vms", type=int, default=5000)
    ap.add_argument("--tagged", type=int, default=1000)
    ap.add_argument("--hosts", type=int, default=10)
    ap.add_argument("--portgroups", type=int, default=50)
    ap.add_argument("--seconds", type=int, default=300)
    a = ap.parse_args()
    b = os.path.abspath(a.builddir)
    os.environ["NW_SCENARIO"] = os.path.join(b, "tests", "nw-scenario")
    os.environ["NW_BIN"] = os.path.join(b, "daemon", "nestwarden")
    journald.enter_private_namespace()
    from daemon import Daemon
    from scenario import Scenario

    with journald.Journald() as j, Scenario("-vms", str(a.vms), "-tagged", str(a.tagged), "-hosts", str(a.hosts),
                                            "-portgroups", str(a.portgroups)) as scn:
        with Daemon(scn.config(), watchdog_usec=60_000_000) as d:
            t0 = time.monotonic()
            d.notify.wait_for("READY", "1", timeout=120)
            ready = time.monotonic() - t0
            rss0, cpu0 = proc_stats(d.proc.pid)
            peak = rss0
            end = time.monotonic() + a.seconds
            while time.monotonic() < end:
                time.sleep(5)
                rss, _ = proc_stats(d.proc.pid)
                peak = max(peak, rss)
            rss1, cpu1 = proc_stats(d.proc.pid)
            status = d.notify.all("STATUS")[-1][1]["STATUS"]
            events = len(j.entries(SYSLOG_IDENTIFIER="nestwarden"))
    print("vms=%d tagged=%d: ready after %.2f s (%s); idle %d s: RSS %d kB at start, %d kB at end, peak %d kB; "
          "CPU %.2f s (%.3f %% of one core); %d journal entries"
          % (a.vms, a.tagged, ready, status, a.seconds, rss0, rss1, peak, cpu1 - cpu0,
             100.0 * (cpu1 - cpu0) / a.seconds, events))


if __name__ == "__main__":
    main()
