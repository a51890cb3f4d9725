#!/usr/bin/python3
"""Benchmark of `nestwarden check` on the simulator scenario: HTTP requests, wall time and peak RSS
(from /usr/bin/time: wait4() here would count Python's own RSS) at a given inventory size. Not a
test: it asserts nothing, it measures.

  bench/check.py BUILDDIR [--vms N] [--tagged N] [--hosts N] [--portgroups N] [--runs N]
"""
import argparse
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time

here = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(here, "..", "tests", "integration"))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("builddir")
    ap.add_argument("--vms", type=int, default=100)
    ap.add_argument("--tagged", type=int, default=0)
    ap.add_argument("--hosts", type=int, default=2)
    ap.add_argument("--portgroups", type=int, default=0)
    ap.add_argument("--page-size", type=int, default=1000)
    ap.add_argument("--runs", type=int, default=5)
    a = ap.parse_args()
    os.environ["NW_SCENARIO"] = os.path.join(a.builddir, "tests", "nw-scenario")
    from scenario import Scenario

    flags = ["-vms", str(a.vms), "-hosts", str(a.hosts), "-portgroups", str(a.portgroups)]
    if a.tagged:
        flags += ["-tagged", str(a.tagged)]
    t0 = time.monotonic()
    with Scenario(*flags, start_timeout=900) as scn:
        startup = time.monotonic() - t0
        conf = scn.config(vcenter__page_size=str(a.page_size))
        walls, reqs, peaks = [], set(), []
        for _ in range(a.runs):
            t = time.monotonic()
            with tempfile.NamedTemporaryFile("r") as peak:
                p = subprocess.run(["/usr/bin/time", "-f", "%M", "-o", peak.name,
                                    os.path.join(a.builddir, "daemon", "nestwarden"), "check", "--json", "--stats",
                                    "--config", conf], capture_output=True, text=True)
                peaks.append(int(peak.read().split()[-1]))
            walls.append(time.monotonic() - t)
            if p.returncode not in (0, 1):
                sys.exit("check failed: " + p.stderr)
            m = re.search(r"(\d+) HTTP requests, (\d+) tagged VMs", p.stderr)
            reqs.add(int(m.group(1)))
            tagged = int(m.group(2))
    print("vms=%d tagged=%d hosts=%d extra_portgroups=%d page_size=%d: scenario start %.1f s; "
          "check: %s HTTP requests, wall median %.3f s, worst %.3f s over %d runs, peak RSS median %.1f MiB"
          % (a.vms, tagged, a.hosts, a.portgroups, a.page_size, startup, "/".join(map(str, sorted(reqs))),
             statistics.median(walls), max(walls), a.runs, statistics.median(peaks) / 1024))


if __name__ == "__main__":
    main()
