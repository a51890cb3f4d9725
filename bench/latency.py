#!/usr/bin/python3
"""Benchmark: drift-to-journal latency of `nestwarden run`. Makes N changes on the simulator
(alternately a VM's nestedHVEnabled and a DV portgroup's promiscuous mode, each flip a drift or a
resolution) and measures from the moment the change call starts to the journal entry's timestamp.
Not a test: it measures.

  bench/latency.py BUILDDIR [--changes 40]
"""
import argparse
import os
import statistics
import sys
import time

here = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(here, "..", "tests", "integration"))
sys.path.insert(0, os.path.join(here, "..", "tests", "scenario"))
import journald  # noqa: E402


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("builddir")
    ap.add_argument("--changes", type=int, default=40)
    a = ap.parse_args()
    b = os.path.abspath(a.builddir)
    os.environ["NW_SCENARIO"] = os.path.join(b, "tests", "nw-scenario")
    os.environ["NW_BIN"] = os.path.join(b, "daemon", "nestwarden")
    journald.enter_private_namespace()
    import mutate
    from daemon import Daemon
    from scenario import USER, Scenario

    lat = []
    with journald.Journald() as j, Scenario() as scn:
        si = mutate.connect(scn.url, USER, scn.password_file, scn.ca_file)
        view = si.content.viewManager.CreateContainerView(si.content.rootFolder, [mutate.vim.ManagedEntity], True)
        ids = {o.name: o._moId for o in view.view}
        vm, pg = ids["hv-off-03"], ids["pg-ml-ok"]
        with Daemon(scn.config()) as d:
            d.notify.wait_for("READY", "1")
            for i in range(a.changes):
                before = len(j.entries(SYSLOG_IDENTIFIER="nestwarden"))
                t = time.time()
                if i % 2 == 0:
                    mutate.set_nested_hv(si, vm, (i // 2) % 2 == 0)
                else:
                    mutate.set_dvpg_mac_policy(si, pg, allow_promiscuous=(i // 2) % 2 == 0)
                got = j.wait_for(before + 1, SYSLOG_IDENTIFIER="nestwarden")
                lat.append(int(got[-1]["__REALTIME_TIMESTAMP"]) / 1e6 - t)
    lat_ms = sorted(x * 1000 for x in lat)
    print("%d changes: drift-to-journal latency median %.1f ms, p90 %.1f ms, worst %.1f ms, best %.1f ms"
          % (len(lat_ms), statistics.median(lat_ms), lat_ms[int(len(lat_ms) * 0.9) - 1], lat_ms[-1], lat_ms[0]))


if __name__ == "__main__":
    main()
