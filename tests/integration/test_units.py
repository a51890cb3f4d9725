"""The systemd units: `systemd-analyze verify` accepts both without a word (ExecStart pointing at the
built binary), `systemd-analyze security --offline=yes` rates each 2.0 or lower, the template keeps
the plain unit's sandbox (its own runtime directory aside), and meson configures ExecStart to the
install path."""
import functools
import os
import re
import shutil
import subprocess
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import testmain  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
SRC = os.path.join(HERE, "..", "..", "systemd")
BIN = os.environ.get("NW_BIN", "")
BUILT = os.environ.get("NW_UNITS_DIR", "")
MAX_EXPOSURE = 2.0

# (source file, the name it is verified under: a template needs an instance)
UNITS = [("nestwarden.service", "nestwarden.service"), ("nestwarden@.service", "nestwarden@lab.service")]


# As root, `verify` runs a test-mode manager that touches /run/systemd/systemd-units-load; keep that
# off the host with a private tmpfs there.
PRIVATE = ["unshare", "-m", "--propagation", "private", "sh", "-c",
           'mount -t tmpfs nestwarden-test /run/systemd && exec "$@"', "sh"]


@functools.lru_cache(maxsize=None)
def private_works():
    if os.geteuid() != 0:
        return False
    p = subprocess.run(PRIVATE + ["true"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return p.returncode == 0


def analyze(*args):
    cmd = ["systemd-analyze"] + list(args)
    if private_works():
        cmd = PRIVATE + cmd
    p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                       text=True, env=dict(os.environ, SYSTEMD_COLORS="0", SYSTEMD_PAGER=""))
    return p.returncode, p.stdout, p.stderr


def read(name):
    with open(os.path.join(SRC, name)) as f:
        return f.read()


def service_lines(text):
    """The [Service] section's settings, without comments."""
    section, out = None, []
    for line in text.splitlines():
        line = line.strip()
        if line.startswith("["):
            section = line
        elif section == "[Service]" and line and not line.startswith("#"):
            out.append(line)
    return out


class UnitsTest(unittest.TestCase):
    exposures = {}

    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.mkdtemp(prefix="nw-units-")

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.tmp, ignore_errors=True)
        for name, level in sorted(cls.exposures.items()):
            print("exposure %s: %.1f" % (name, level))

    def write_unit(self, src, name, binary):
        text = read(src)
        self.assertEqual(text.count("@bindir@/nestwarden"), 1, src)
        text = text.replace("@bindir@/nestwarden", binary)
        self.assertNotRegex(text, r"@\w+@", src)
        path = os.path.join(self.tmp, name)
        with open(path, "w") as f:
            f.write(text)
        return path

    def test_verify(self):
        self.assertTrue(BIN and os.access(BIN, os.X_OK), "NW_BIN must name the built nestwarden")
        for src, name in UNITS:
            with self.subTest(unit=name):
                rc, out, err = analyze("verify", self.write_unit(src, name, BIN))
                self.assertEqual((rc, out + err), (0, ""))

    def test_verify_notices_a_missing_binary(self):
        # Proof that verify resolves ExecStart, so the test above means something.
        rc, out, err = analyze("verify", self.write_unit("nestwarden.service", "nestwarden.service",
                                                         "/nonexistent/nestwarden"))
        self.assertNotEqual(rc, 0)
        self.assertIn("/nonexistent/nestwarden", out + err)

    def test_security_exposure(self):
        for src, name in UNITS:
            with self.subTest(unit=name):
                rc, out, err = analyze("security", "--offline=yes", self.write_unit(src, name, BIN or "/bin/true"))
                self.assertEqual(rc, 0, err)
                m = re.search(r"Overall exposure level for %s: (\d+\.\d+)" % re.escape(name), out)
                self.assertTrue(m, out)
                level = float(m.group(1))
                self.exposures[name] = level
                self.assertLessEqual(level, MAX_EXPOSURE, out)

    def test_template_has_the_same_sandbox(self):
        differ = ("ExecStart=", "LoadCredential=", "RuntimeDirectory=")
        plain = [l for l in service_lines(read("nestwarden.service")) if not l.startswith(differ)]
        template = [l for l in service_lines(read("nestwarden@.service")) if not l.startswith(differ)]
        self.assertEqual(plain, template)
        self.assertIn("ExecStart=@bindir@/nestwarden run --config /etc/nestwarden/%i.conf",
                      service_lines(read("nestwarden@.service")))
        self.assertIn("LoadCredential=vcenter-password:/etc/nestwarden/%i.password",
                      service_lines(read("nestwarden@.service")))
        # metrics_file's directory: one per instance, none inside another unit's.
        self.assertIn("RuntimeDirectory=nestwarden", service_lines(read("nestwarden.service")))
        self.assertIn("RuntimeDirectory=nestwarden-%i", service_lines(read("nestwarden@.service")))

    def test_meson_configures_the_install_path(self):
        self.assertTrue(BUILT and os.path.isdir(BUILT), "NW_UNITS_DIR must name the build's systemd/")
        for src, _ in UNITS:
            with open(os.path.join(BUILT, src)) as f:
                text = f.read()
            self.assertNotRegex(text, r"@\w+@")
            self.assertRegex(text, r"(?m)^ExecStart=/\S*/bin/nestwarden run --config /etc/nestwarden/")


if __name__ == "__main__":
    if not shutil.which("systemd-analyze"):
        print("SKIP: systemd-analyze not installed")
        sys.exit(77)
    testmain.main()
