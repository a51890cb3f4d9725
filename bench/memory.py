#!/usr/bin/python3
"""Benchmark: nestwarden's memory at a given inventory size. Not a test: it measures.

  bench/memory.py BUILDDIR [--vms 10000] [--tagged 2000] [--hosts 8] [--changes 1000] [--reloads 144]
                  [--massif]

  check: peak RSS (/usr/bin/time, median of 3); with --massif also the heap peak and where it goes
         (valgrind's massif; needs the valgrind package).
  run:   RSS at READY, after --changes changes (a tagged VM's nestedHVEnabled flipped, each seen and
         judged), and after --reloads full gathers (SIGHUP: a new session and a full gather each;
         144 is what 24 hours of the default interval = 600 s gathers), then the daemon's VmHWM.

Peaks are read from /usr/bin/time and /proc/PID/status, never from wait4() in this process: Linux
carries the RSS of the image a child replaces into its ru_maxrss, so a child of Python would report
Python's RSS as its floor.
"""
import argparse
import os
import re
import signal
import statistics
import subprocess
import sys
import tempfile
import time

here = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(here, "..", "tests", "integration"))
sys.path.insert(0, os.path.join(here, "..", "tests", "scenario"))


def status_kb(pid, field):
    with open("/proc/%d/status" % pid) as f:
        return int(re.search(r"^%s:\s+(\d+) kB" % field, f.read(), re.M).group(1))


def rss(pid):
    """VmRSS, and how much of it is anonymous (heap, stacks) and file-backed (the libraries' pages)."""
    with open("/proc/%d/smaps_rollup" % pid) as f:
        t = f.read()
    anon = int(re.search(r"^Anonymous:\s+(\d+) kB", t, re.M).group(1))
    return "RSS %.1f MiB (anonymous %.1f, file-backed %.1f)" % (status_kb(pid, "VmRSS") / 1024, anon / 1024,
                                                                (status_kb(pid, "VmRSS") - anon) / 1024)


def check_peak(nw, conf):
    with tempfile.NamedTemporaryFile("r") as out:
        subprocess.run(["/usr/bin/time", "-f", "%M", "-o", out.name, nw, "check", "--config", conf],
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        return int(out.read().split()[-1])


def massif(nw, conf):
    """Heap peak and its five biggest sites below our own code, from ms_print."""
    with tempfile.TemporaryDirectory() as tmp:
        out = os.path.join(tmp, "massif.out")
        subprocess.run(["valgrind", "--tool=massif", "--massif-out-file=" + out, nw, "check", "--config", conf],
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)
        text = subprocess.run(["ms_print", "--threshold=2", out], capture_output=True, text=True).stdout
    peak = re.search(r"Detailed snapshots: \[[^\]]*?(\d+) \(peak\)", text).group(1)
    lines = text.splitlines()
    start = next(i for i, l in enumerate(lines) if re.match(r"\s+%s\s+[\d,]+\s+[\d,]+" % peak, l))
    total = int(lines[start].split()[2].replace(",", ""))
    sites = []
    for j in range(start + 1, min(start + 2000, len(lines))):
        if re.match(r"^->\d", lines[j]) and "below massif's threshold" not in lines[j]:
            size = re.search(r"\(([\d,]+)B\)", lines[j]).group(1)
            # The site and the callers that say what it is for: buf_reserve <- nw_buf_append <- soap_envelope.
            chain = [re.sub(r"^[ |]*->[\d.]+% \([\d,]+B\) (0x[0-9A-F]+: )?", "", l).split(" (")[0]
                     for l in lines[j:j + 8] if l.startswith(("->", "|"))][:4]
            sites.append("%s B: %s" % (size, " <- ".join(chain)))
    return total, sites[:6]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("builddir")
    ap.add_argument("--vms", type=int, default=10000)
    ap.add_argument("--tagged", type=int, default=2000)
    ap.add_argument("--hosts", type=int, default=8)
    ap.add_argument("--changes", type=int, default=1000)
    ap.add_argument("--reloads", type=int, default=144)
    ap.add_argument("--massif", action="store_true")
    a = ap.parse_args()
    b = os.path.abspath(a.builddir)
    os.environ["NW_SCENARIO"] = os.path.join(b, "tests", "nw-scenario")
    os.environ["NW_BIN"] = nw = os.path.join(b, "daemon", "nestwarden")
    import mutate
    from daemon import Daemon
    from scenario import USER, Scenario

    t0 = time.monotonic()
    # 45,000 VMs take the simulator a minute or two to build.
    with Scenario("-vms", str(a.vms), "-tagged", str(a.tagged), "-hosts", str(a.hosts), start_timeout=900) as scn:
        print("scenario: %d VMs, %d tagged, %d hosts, up in %.0f s"
              % (a.vms, a.tagged, a.hosts, time.monotonic() - t0), flush=True)
        conf = scn.config()
        peaks = [check_peak(nw, conf) for _ in range(3)]
        print("check: peak RSS %.1f MiB (median of 3; %s KiB)"
              % (statistics.median(peaks) / 1024, "/".join(map(str, peaks))), flush=True)
        if a.massif:
            total, sites = massif(nw, conf)
            print("check: heap peak %.2f MiB (massif); biggest sites:" % (total / 1048576))
            for s in sites:
                print("   " + s)

        si = mutate.connect(scn.url, USER, scn.password_file, scn.ca_file)
        # Tagged VMs that take the change: powered off, not templates (vCenter refuses the others).
        vms = []
        for m in sorted({f["object"] for f in scn.truth["findings"] if f["kind"] == "vm"}):
            st = mutate.vm_state(si, m)
            if st["powerState"] == "poweredOff" and not st["template"]:
                vms.append(m)
            if len(vms) == 4:
                break
        t = time.monotonic()
        with Daemon(conf) as d:
            d.notify.wait_for("READY", "1", timeout=600)
            d.notify.wait_for("STATUS", timeout=600)
            pid = d.proc.pid
            print("run: first judgement after %.1f s; %s" % (time.monotonic() - t, rss(pid)), flush=True)
            t = time.monotonic()
            # Each round flips every VM the same way and waits until the daemon has logged each one's
            # transition (drift or resolved), so that every change counted was seen and judged.
            rounds = max(1, a.changes // len(vms))
            for i in range(rounds):
                for m in vms:
                    mutate.set_nested_hv(si, m, i % 2 == 0)
                deadline = time.monotonic() + 30
                while not all(d.stderr().count("(%s): nested HV exposed" % m) >= i + 2 for m in vms):
                    if time.monotonic() > deadline:
                        sys.exit("change round %d was not seen within 30 s" % (i + 1))
                    time.sleep(0.02)
            print("run: after %d changes, each seen (%.0f s): %s" % (rounds * len(vms), time.monotonic() - t,
                                                                     rss(pid)), flush=True)
            t = time.monotonic()
            for i in range(a.reloads):
                sent = time.monotonic()
                d.signal(signal.SIGHUP)
                # Two STATUS= lines: the reload's own, then the first judgement after the new gather.
                deadline = time.monotonic() + 300
                while len([m for m in d.notify.all("STATUS") if m[0] > sent]) < 2:
                    if time.monotonic() > deadline:
                        sys.exit("no judgement within 300 s of reload %d" % (i + 1))
                    time.sleep(0.02)
                if (i + 1) % 48 == 0 or i + 1 == a.reloads:
                    print("run: after %d full gathers (%.0f s): %s" % (i + 1, time.monotonic() - t, rss(pid)),
                          flush=True)
            print("run: peak RSS (VmHWM) %.1f MiB" % (status_kb(pid, "VmHWM") / 1024))


if __name__ == "__main__":
    main()
