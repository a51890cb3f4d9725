#!/usr/bin/python3
"""Soak: `nestwarden run` while the simulated vCenter is SIGKILLed and restarted (same port, same
certificate) at random moments, many times over. Prints, per kill, where the daemon was and its
fds and RSS; the steady-state samples (every 5 cycles, session up, long-polling); and the totals.
Not a test (tests/integration/test_restart.py runs the same loop, shorter, and asserts), but it
says FAILED and exits 1 when the run shows what the test would fail on.

  bench/restart.py [BUILDDIR] [--cycles 100] [--seed N] [--max-delay 2.0]

BUILDDIR defaults to $NW_BIN / $NW_SCENARIO when set, else ./build. Runs inside a private mount
namespace with its own journald (tests/integration/journald.py); needs root.
"""
import argparse
import os
import random
import sys

here = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(here, "..", "tests", "integration"))
import journald  # noqa: E402


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("builddir", nargs="?")
    ap.add_argument("--cycles", type=int, default=100)
    ap.add_argument("--seed", type=int)
    ap.add_argument("--max-delay", type=float, default=2.0)
    a = ap.parse_args()
    if a.builddir or "NW_BIN" not in os.environ:
        b = os.path.abspath(a.builddir or "build")
        os.environ["NW_BIN"] = os.path.join(b, "daemon", "nestwarden")
        os.environ["NW_SCENARIO"] = os.path.join(b, "tests", "nw-scenario")
    # The seed is chosen before the re-exec into the namespace, so that it is printed once.
    if a.seed is None:
        a.seed = int(os.environ.get("NW_RESTART_SEED") or random.SystemRandom().randrange(1 << 32))
        os.environ["NW_RESTART_SEED"] = str(a.seed)
    journald.enter_private_namespace()
    import restartloop

    print("%d cycles, seed %d, kills 0 to %.1f s apart (bench/restart.py --seed %d repeats the schedule)"
          % (a.cycles, a.seed, a.max_delay, a.seed), flush=True)
    with journald.Journald() as j:
        res = restartloop.run(j, a.cycles, a.seed, max_delay=a.max_delay)

    print("\n%5s %8s %6s %-9s %4s %8s" % ("cycle", "delay s", "aimed", "daemon in", "fds", "RSS kB"))
    for k in res.kills:
        print("%5d %8.3f %6s %-9s %4d %8d" % (k["cycle"], k["delay"], "yes" if k["aimed"] else "", k["phase"],
                                              k["fds"], k["rss"]))
    print("\nsteady state (session up, long-polling):\n%5s %4s %8s" % ("cycle", "fds", "RSS kB"))
    for s in res.steady:
        print("%5d %4d %8d" % (s["cycle"], s["fds"], s["rss"]))

    fds = [k["fds"] for k in res.kills]
    rss = [k["rss"] for k in res.kills]
    sfd = [s["fds"] for s in res.steady]
    srss = [s["rss"] for s in res.steady]
    print("\ncycles %d in %.0f s wall (seed %d); kills landed: %s" % (
        res.cycles, res.wall, res.seed, ", ".join("%d %s" % (n, p) for p, n in sorted(res.phases.items()))))
    print("journal: %d LOST, %d REGAINED (%s); %d DRIFT, baseline %d; %d RESOLVED; longest watchdog gap %.1f s"
          % (res.lost, res.regained, "alternating" if res.alternating else "NOT alternating", res.drift,
             res.baseline, res.resolved, res.watchdog_gap))
    print("at the kills: fds first %d, last %d, max %d; RSS first %d kB, last %d kB, max %d kB"
          % (fds[0], fds[-1], max(fds), rss[0], rss[-1], max(rss)))
    print("steady:       fds first %d, last %d, max %d; RSS first %d kB, last %d kB, max %d kB"
          % (sfd[0], sfd[-1], max(sfd), srss[0], srss[-1], max(srss)))
    print("daemon alive after the loop: %s; exit code after SIGTERM: %s" % (res.alive, res.exit_code))
    bad = restartloop.problems(res)
    if bad:
        print("FAILED: " + "; ".join(bad) + "\ndaemon stderr (tail):\n" + res.stderr_tail)
        sys.exit(1)
    print("ok")


if __name__ == "__main__":
    main()
