#!/usr/bin/python3
"""Benchmark: how long `nestwarden fix` takes to remediate many drifted portgroups on the scenario.
Not a test: it measures.

  bench/remediate.py BUILDDIR [--portgroups 150] [--vms 800] [--tagged 600]
"""
import argparse
import os
import re
import subprocess
import sys
import time

here = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(here, "..", "tests", "integration"))
import journald  # noqa: E402


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("builddir")
    ap.add_argument("--portgroups", type=int, default=150)
    ap.add_argument("--vms", type=int, default=800)
    ap.add_argument("--tagged", type=int, default=600)
    ap.add_argument("--hosts", type=int, default=4)
    a = ap.parse_args()
    b = os.path.abspath(a.builddir)
    os.environ["NW_SCENARIO"] = os.path.join(b, "tests", "nw-scenario")
    journald.enter_private_namespace()
    from scenario import Scenario

    with journald.Journald(), Scenario("-vms", str(a.vms), "-tagged", str(a.tagged), "-hosts", str(a.hosts),
                                       "-portgroups", str(a.portgroups)) as scn:
        conf = scn.config()
        with open(conf, "a") as f:
            f.write("[remediation]\nmax_changes_per_pass = 1000\nallow_promiscuous_on_shared = yes\nnested_hv = no\n")
        t = time.monotonic()
        p = subprocess.run([os.path.join(b, "daemon", "nestwarden"), "fix", "--config", conf], capture_output=True,
                           text=True)
        took = time.monotonic() - t
    fixed = {line.split()[0] for line in p.stdout.splitlines() if re.search(r"\sfixed( \(|$)", line)}
    pgs = {o for o in fixed if o.startswith(("dvportgroup-", "host-"))}
    print("fix: %d portgroups remediated (DV and standard) in %.2f s, %.1f ms each, exit %d; %s"
          % (len(pgs), took, 1000 * took / max(1, len(pgs)), p.returncode, p.stdout.strip().splitlines()[-1]))


if __name__ == "__main__":
    main()
