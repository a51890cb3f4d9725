"""`nestwarden run` against a vCenter that keeps dying: the scenario is SIGKILLed and started again
(same port, same certificate) at random moments, mid-login, mid-gather, mid-long-poll or while the
daemon backs off, many times in a row (tests/integration/restartloop.py). Afterwards the daemon is
still up, reports the same drift as before (nothing repeated, nothing resolved), has logged one
VCENTER_REGAINED per VCENTER_LOST, and holds as many fds and about as much memory as after the first
cycles. The RNG seed is printed; NW_RESTART_SEED repeats a run, NW_RESTART_CYCLES changes its length
(bench/restart.py runs 100 and prints the figures)."""
import os
import random
import sys
import unittest

here = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, here)
import journald  # noqa: E402
import restartloop  # noqa: E402
import testmain  # noqa: E402

CYCLES = int(os.environ.get("NW_RESTART_CYCLES", "20"))


class RestartTest(unittest.TestCase):
    def test_kill_restart_cycles(self):
        seed = int(os.environ.get("NW_RESTART_SEED") or random.SystemRandom().randrange(1 << 32))
        print("restart loop: %d cycles, seed %d (NW_RESTART_SEED=%d repeats it)" % (CYCLES, seed, seed), flush=True)
        with journald.Journald() as j:
            res = restartloop.run(j, CYCLES, seed, progress=lambda s: print(s, flush=True))
        print("kills by phase %r; %d LOST, %d REGAINED; %d DRIFT (baseline %d), %d RESOLVED; steady (fds, RSS kB) %r"
              % (res.phases, res.lost, res.regained, res.drift, res.baseline, res.resolved,
                 [(s["fds"], s["rss"]) for s in res.steady]), flush=True)
        self.assertEqual(restartloop.problems(res), [],
                         "seed %d; daemon stderr (tail):\n%s" % (seed, res.stderr_tail))


if __name__ == "__main__":
    journald.enter_private_namespace()
    testmain.main()
