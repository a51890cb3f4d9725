"""The test world itself: the scenario's state, as pyVmomi reads it from the running simulator,
matches the truth it printed, and the vCenter behaviours it patches into vcsim hold
(tests/scenario/selfcheck.py, an implementation independent of nestwarden's)."""
import os
import subprocess
import sys
import unittest

sys.path.insert(0, os.path.dirname(__file__))
import testmain  # noqa: E402
from scenario import USER, Scenario  # noqa: E402

SELFCHECK = os.path.join(os.path.dirname(__file__), "..", "scenario", "selfcheck.py")


class ScenarioTest(unittest.TestCase):
    def selfcheck(self, *flags, write=False):
        with Scenario(*flags) as scn:
            args = ["/usr/bin/python3", SELFCHECK, "--user", USER, "--password-file", scn.password_file,
                    "--page-size", "3", scn.line] + (["--write"] if write else [])
            p = subprocess.run(args, capture_output=True, text=True, timeout=300)
        self.assertEqual(p.returncode, 0, p.stdout + p.stderr)

    def test_curated(self):
        self.selfcheck(write=True)

    def test_generated(self):
        self.selfcheck("-vms", "400", "-tagged", "120", "-hosts", "4", "-portgroups", "12", "-seed", "3")


if __name__ == "__main__":
    testmain.main()
