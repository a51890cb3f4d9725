#!/usr/bin/python3
"""Measurement: where the password and the session secrets linger in a running `nestwarden run`.
Not a test (what libcurl and OpenSSL leave in freed memory is theirs to decide): it counts.

  bench/secrets_in_memory.py BUILDDIR [--seconds 10]

Starts the scenario and `nestwarden run` (in a private mount namespace with its own journald, as
bench/idle.py does), waits for READY=1 (logged in to vim25 and vAPI, first pass done), then reads
every writable mapping of the daemon through /proc/PID/mem (as root: the daemon is non-dumpable, so
nobody else can) and counts, per mapping, the password as stored in the password file, the password
as it travels in the SOAP Login body (XML-escaped), the HTTP Basic credentials of the vAPI session
creation (base64 of user:password), and the session secrets' carriers: "vmware-api-session-id: "
request headers and "vmware_soap_session" cookies. Then again after --seconds of watching.
"""
import argparse
import base64
import os
import re
import sys
import time
from xml.sax.saxutils import escape

here = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(here, "..", "tests", "integration"))
import journald  # noqa: E402


def scan(pid, needles):
    counts = {name: {} for name in needles}
    with open("/proc/%d/maps" % pid) as maps, open("/proc/%d/mem" % pid, "rb", 0) as mem:
        for line in maps:
            fields = line.split()
            if not fields[1].startswith("rw"):
                continue
            start, end = (int(x, 16) for x in fields[0].split("-"))
            where = fields[5] if len(fields) > 5 else "[anon]"
            where = os.path.basename(where) if where.startswith("/") else where
            try:
                mem.seek(start)
                data = mem.read(end - start)
            except OSError:
                continue
            for name, needle in needles.items():
                n = len(re.findall(re.escape(needle), data))
                if n:
                    counts[name][where] = counts[name].get(where, 0) + n
    return counts


def show(title, counts):
    print(title)
    for name, where in counts.items():
        total = sum(where.values())
        detail = ", ".join("%s %d" % (w, n) for w, n in sorted(where.items()))
        print("  %-44s %3d%s" % (name, total, "  (" + detail + ")" if detail else ""))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("builddir")
    ap.add_argument("--seconds", type=int, default=10)
    a = ap.parse_args()
    b = os.path.abspath(a.builddir)
    os.environ["NW_SCENARIO"] = os.path.join(b, "tests", "nw-scenario")
    os.environ["NW_BIN"] = os.path.join(b, "daemon", "nestwarden")
    journald.enter_private_namespace()
    from daemon import Daemon
    from scenario import PASSWORD, USER, Scenario

    needles = {
        "password (as in the file)": PASSWORD.encode(),
        "password XML-escaped (SOAP Login body)": escape(PASSWORD, {"'": "&apos;", '"': "&quot;"}).encode(),
        "Basic credentials base64(user:password)": base64.b64encode((USER + ":" + PASSWORD).encode()),
        "'vmware-api-session-id: ' header": b"vmware-api-session-id: ",
        "'vmware_soap_session' cookie": b"vmware_soap_session",
    }
    with journald.Journald(), Scenario() as scn:
        with Daemon(scn.config(), watchdog_usec=60_000_000) as d:
            d.notify.wait_for("READY", "1", timeout=120)
            show("after the first pass (READY=1):", scan(d.proc.pid, needles))
            time.sleep(a.seconds)
            show("after %d s more of watching:" % a.seconds, scan(d.proc.pid, needles))


if __name__ == "__main__":
    main()
