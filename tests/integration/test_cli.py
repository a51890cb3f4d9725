"""The command line: what is refused before anything is read (exit 3, one line saying why), so that
an option meant for another command is never silently ignored."""
import os
import subprocess
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import testmain  # noqa: E402


def nw(*args):
    p = subprocess.run([os.environ["NW_BIN"], *args], capture_output=True, text=True, timeout=30)
    return p.returncode, p.stdout, p.stderr


class Cli(unittest.TestCase):
    def test_option_of_another_command_is_refused(self):
        for args, why in [(("fix", "--json"), "--json is an option of check, not of fix"),
                          (("run", "--json"), "--json is an option of check, not of run"),
                          (("fix", "--stats"), "--stats is an option of check, not of fix"),
                          (("check", "--dry-run"), "--dry-run is an option of fix, not of check"),
                          (("--dry-run", "run"), "--dry-run is an option of fix, not of run (set [remediation] "
                                                 "dry_run = yes)")]:
            with self.subTest(args=args):
                # A config that does not exist: the refusal must come before it is even opened.
                self.assertEqual(nw(*args, "--config", "/nonexistent/nw.conf"), (3, "", "nestwarden: %s\n" % why))

    def test_unknown_command_and_extra_argument(self):
        self.assertEqual(nw("bogus", "--json"), (3, "", "nestwarden: unknown command 'bogus' (try --help)\n"))
        self.assertEqual(nw("check", "extra"), (3, "", "nestwarden: unexpected argument 'extra'\n"))
        rc, out, err = nw()
        self.assertEqual((rc, out), (3, ""))
        self.assertIn("Usage: nestwarden COMMAND", err)

    def test_help_and_version(self):
        rc, out, err = nw("--help")
        self.assertEqual((rc, err), (0, ""))
        for word in ("check", "run", "fix", "--config", "--json", "--stats", "--dry-run"):
            self.assertIn(word, out)
        rc, out, err = nw("--version")
        self.assertEqual(rc, 0)
        self.assertRegex(out, r"^nestwarden \d+\.\d+\.\d+\n$")


if __name__ == "__main__":
    testmain.main()
