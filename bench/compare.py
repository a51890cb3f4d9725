#!/usr/bin/python3
"""nestwarden `check` against the scripts admins would otherwise use (bench/peers/pervm.py, the usual
per-VM pyVmomi script, and bench/peers/collector.py, a tuned PropertyCollector one), on the simulator
scenario at several inventory sizes. Not a test: it measures, and refuses to time a peer whose
findings differ from nestwarden's.

  bench/compare.py BUILDDIR [--runs N] [--sizes VMS:TAGGED ...] [--hosts N] [--portgroups N] [--out DIR]

For each size it starts the scenario (BUILDDIR/tests/nw-scenario), then
1. verifies: runs each tool once and compares its findings (object, kind, name, check, expected,
   actual), notices and counts with the scenario's ground truth and, for a peer, with nestwarden's,
   VM findings' hints included (they say how power state and templates bear on the fix); it prints
   any difference, and a peer that differs from nestwarden is not timed;
2. counts: one more run of each tool through a counting TLS proxy (bench/countproxy.py): HTTP
   requests, bytes sent and received (HTTP after TLS), TLS connections;
3. times: N runs of each tool, round-robin (the order rotates each round), each measuring wall time,
   CPU time (user + sys) of the child through os.wait4 and its peak RSS from /usr/bin/time; the
   table gives the medians.
Then it prints a markdown table and writes DIR/results.md, DIR/results.csv (one row per tool and
size) and DIR/results.svg (log-log: wall time and peak RSS against VMs in the inventory). DIR
defaults to BUILDDIR/bench-compare.
"""
import argparse
import collections
import csv
import json
import math
import os
import resource
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time

here = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(here, "..", "tests", "integration"))
sys.path.insert(0, here)
from countproxy import CountProxy  # noqa: E402

PYTHON = "/usr/bin/python3"     # Debian's, the one python3-pyvmomi is installed for
TOOLS = ("nestwarden", "pervm", "collector")
FIELDS = ("object", "kind", "name", "check", "expected", "actual")
DEFAULT_SIZES = ["1000:200", "5000:1000", "10000:2000", "10000:1000"]


def parse_args():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("builddir")
    ap.add_argument("--runs", type=int, default=5, help="timed runs per tool and size (default 5)")
    ap.add_argument("--sizes", nargs="+", default=DEFAULT_SIZES, metavar="VMS:TAGGED",
                    help="inventory sizes (default: %s)" % " ".join(DEFAULT_SIZES))
    ap.add_argument("--hosts", type=int, default=8, help="ESXi hosts at every size (default 8)")
    ap.add_argument("--portgroups", type=int, default=50, help="extra DV portgroups at every size (default 50)")
    ap.add_argument("--page-size", type=int, default=1000, help="objects per page, nestwarden and collector alike")
    ap.add_argument("--timeout", type=int, default=900, help="seconds one run may take")
    ap.add_argument("--out", help="where the table, CSV and SVG go (default BUILDDIR/bench-compare)")
    a = ap.parse_args()
    a.sizes = [tuple(int(x) for x in s.split(":")) for s in a.sizes]
    a.builddir = os.path.abspath(a.builddir)
    a.out = os.path.abspath(a.out or os.path.join(a.builddir, "bench-compare"))
    return a


# ---- running a tool -----------------------------------------------------------------------------

def measure(argv, timeout):
    """Runs argv under /usr/bin/time; returns wall, cpu (user+sys), rss (peak, KiB), rc, stdout,
    stderr. CPU comes from wait4 on our child (time, which adds next to nothing, and the tool it
    waited for); the peak RSS from time's own report. wait4's ru_maxrss would not do: Linux carries
    the high-water mark of the image a child replaces into it, so a child of this Python process
    reports Python's RSS as its floor (nestwarden's 19 MiB came out as 44)."""
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err, \
            tempfile.NamedTemporaryFile("r") as peak:
        t0 = time.monotonic()
        # Its own session: a timeout or an interruption stops time and the tool under it together.
        proc = subprocess.Popen(["/usr/bin/time", "-f", "%M", "-o", peak.name, *argv], stdout=out, stderr=err,
                                start_new_session=True)
        reaped = False
        timer = threading.Timer(timeout, os.killpg, (proc.pid, signal.SIGKILL))
        timer.start()
        try:
            _, status, ru = os.wait4(proc.pid, 0)
            reaped = True
            wall = time.monotonic() - t0
        finally:
            timer.cancel()
            if not reaped:
                # Interrupted: neither time nor the tool may outlive us.
                try:
                    os.killpg(proc.pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
                proc.wait()
        proc.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        # time writes "Command exited with non-zero status N" first when it did.
        rss = int(peak.read().split()[-1])
        return {"wall": wall, "user": ru.ru_utime, "sys": ru.ru_stime, "cpu": ru.ru_utime + ru.ru_stime,
                "rss": rss, "rc": proc.returncode, "stdout": out.read().decode(), "stderr": err.read().decode()}


def command(a, tool, scn, url, ca_file, conf):
    if tool == "nestwarden":
        return [os.path.join(a.builddir, "daemon", "nestwarden"), "check", "--json", "--stats", "--config", conf]
    from scenario import USER
    return [PYTHON, os.path.join(here, "peers", tool + ".py"), "--url", url, "--user", USER,
            "--password-file", scn.password_file, "--ca-file", ca_file, "--page-size", str(a.page_size)]


def findings_of(tool, r):
    """The tool's JSON document; None (and why, printed) when the run did not give one."""
    if r["rc"] not in (0, 1):   # 3: unknown, anything else: broken
        print("  %s: exit %d: %s" % (tool, r["rc"], r["stderr"].strip()[-2000:]))
        return None
    try:
        return json.loads(r["stdout"])
    except ValueError as e:
        print("  %s: no JSON document on stdout: %s" % (tool, e))
        return None


# ---- comparing findings -------------------------------------------------------------------------

def _keys(doc, hints):
    out = collections.Counter()
    for section in ("findings", "template_findings"):
        for f in doc.get(section, []):
            k = (section,) + tuple(json.dumps(f.get(x), sort_keys=True) for x in FIELDS)
            out[k + ((f.get("hint"),) if hints and f.get("kind") == "vm" else ())] += 1
    return out


def differences(got, want, hints):
    """Lines saying how got differs from want: counts, findings (as multisets), notices."""
    lines = []
    if got.get("checked") != want.get("checked"):
        lines.append("checked: %s, expected %s" % (got.get("checked"), want.get("checked")))
    a, b = _keys(got, hints), _keys(want, hints)
    for k in sorted((a - b).elements()):
        lines.append("only here:     %s" % " ".join(k))
    for k in sorted((b - a).elements()):
        lines.append("missing here:  %s" % " ".join(k))
    notice = lambda n: (n["object"], n["kind"], n["name"], n["notice"])  # noqa: E731
    na, nb = sorted(map(notice, got.get("notices", []))), sorted(map(notice, want.get("notices", [])))
    if na != nb:
        lines.append("notices: %s, expected %s" % (na, nb))
    return lines


def report_differences(what, lines):
    print("  %s: %d difference(s)" % (what, len(lines)))
    for line in lines[:40]:
        print("    " + line)
    if len(lines) > 40:
        print("    ... %d more" % (len(lines) - 40))


# ---- one size -----------------------------------------------------------------------------------

def bench_size(a, vms, tagged):
    from scenario import Scenario
    flags = ["-vms", str(vms), "-tagged", str(tagged), "-hosts", str(a.hosts), "-portgroups", str(a.portgroups)]
    print("== %d VMs, %d tagged, %d hosts, %d extra DV portgroups" % (vms, tagged, a.hosts, a.portgroups), flush=True)
    t0 = time.monotonic()
    tmp = tempfile.mkdtemp(prefix="nw-compare-")
    try:
        return _bench_scenario(a, vms, tagged, Scenario(*flags, tmp=tmp), t0)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def _bench_scenario(a, vms, tagged, scenario, t0):
    with scenario as scn:
        print("  scenario started in %.1f s" % (time.monotonic() - t0), flush=True)
        conf = scn.config(vcenter__page_size=str(a.page_size))
        cmds = {t: command(a, t, scn, scn.url, scn.ca_file, conf) for t in TOOLS}

        # 1. Verify (and warm up): nestwarden against the truth, each peer against nestwarden.
        docs = {}
        for tool in TOOLS:
            r = measure(cmds[tool], a.timeout)
            docs[tool] = findings_of(tool, r)
            print("  %s: verification run %.2f s" % (tool, r["wall"]), flush=True)
        reference = docs["nestwarden"]
        if reference is None:
            print("  nestwarden failed: nothing to compare with, size skipped")
            return []
        # status: "reference" (nestwarden), "same" (as nestwarden), "differs" or "failed"; truth: same as the truth.
        status, truth = {"nestwarden": "reference"}, {}
        for tool in TOOLS:
            if docs[tool] is None:
                status[tool], truth[tool] = "failed", False
                continue
            truth_diff = differences(docs[tool], scn.truth, hints=False)
            truth[tool] = not truth_diff
            if tool == "nestwarden":
                if truth_diff:
                    report_differences("nestwarden differs from the scenario's truth", truth_diff)
                continue
            diff = differences(docs[tool], reference, hints=True)
            status[tool] = "differs" if diff else "same"
            if diff:
                report_differences("%s differs from nestwarden: not timed" % tool, diff)
            elif truth_diff:
                print("  %s: same as nestwarden, so it too differs from the truth" % tool)
        print("  findings: %s" % ", ".join("%s %s" % (t, status[t]) for t in TOOLS[1:]))
        verified = {t: status[t] in ("reference", "same") for t in TOOLS}
        timed = [t for t in TOOLS if verified[t]]

        # 2. Count requests and bytes, one run each through the proxy (not timed: the proxy slows it).
        counts = {}
        with CountProxy(scn.url, ca_file=scn.ca_file, tmp=scn.tmp) as proxy:
            pconf = scn.config(name="nestwarden-proxy.conf", vcenter__url=proxy.url, vcenter__ca_file=proxy.ca_file,
                               vcenter__page_size=str(a.page_size))
            for tool in timed:
                proxy.reset()
                r = measure(command(a, tool, scn, proxy.url, proxy.ca_file, pconf), a.timeout)
                doc = findings_of(tool, r)
                if doc is None or differences(doc, reference, hints=True):
                    print("  %s: through the proxy, the findings differ: counts not taken" % tool)
                    continue
                counts[tool] = {"requests": proxy.requests, "bytes_sent": proxy.bytes_sent,
                                "bytes_received": proxy.bytes_received, "connections": proxy.connections,
                                "by_key": dict(proxy.by_key)}
                if tool == "nestwarden" and "%d HTTP requests" % proxy.requests not in r["stderr"]:
                    print("  note: nestwarden --stats says %r, the proxy counted %d requests"
                          % (r["stderr"].strip(), proxy.requests))
                print("  %s: %d requests, %.2f MB sent, %.2f MB received, %d TLS connections (%.2f s through the proxy)"
                      % (tool, proxy.requests, proxy.bytes_sent / 1e6, proxy.bytes_received / 1e6, proxy.connections,
                         r["wall"]), flush=True)

        # 3. Time them, round-robin, the order rotating so no tool always runs first.
        runs = {t: [] for t in timed}
        for i in range(a.runs):
            order = timed[i % len(timed):] + timed[:i % len(timed)]
            for tool in order:
                r = measure(cmds[tool], a.timeout)
                if r["rc"] not in (0, 1):
                    print("  %s: run %d failed (exit %d): %s" % (tool, i + 1, r["rc"], r["stderr"].strip()[-500:]))
                    continue
                runs[tool].append(r)
            print("  round %d/%d: %s" % (i + 1, a.runs, ", ".join(
                "%s %.2f s" % (t, runs[t][-1]["wall"]) for t in timed if runs[t])), flush=True)

    rows = []
    for tool in TOOLS:
        rs, c = runs.get(tool, []), counts.get(tool, {})
        med = lambda k: statistics.median(r[k] for r in rs) if rs else None  # noqa: E731
        doc = docs.get(tool) or {}
        rows.append({
            "vms": vms, "tagged": tagged, "hosts": a.hosts, "extra_portgroups": a.portgroups, "tool": tool,
            "verified": verified[tool], "status": status[tool], "same_as_truth": truth[tool], "runs": len(rs),
            "wall_median_s": med("wall"), "wall_min_s": min((r["wall"] for r in rs), default=None),
            "wall_max_s": max((r["wall"] for r in rs), default=None),
            "cpu_median_s": med("cpu"), "user_median_s": med("user"), "sys_median_s": med("sys"),
            "peak_rss_median_mib": med("rss") / 1024 if rs else None,
            "requests": c.get("requests"), "bytes_sent": c.get("bytes_sent"),
            "bytes_received": c.get("bytes_received"), "tls_connections": c.get("connections"),
            "findings": len(doc.get("findings", [])) + len(doc.get("template_findings", [])) if doc else None,
            "requests_by_kind": json.dumps(c.get("by_key", {}), sort_keys=True) if c else None,
        })
    return rows


# ---- output -------------------------------------------------------------------------------------

def fmt(x, spec):
    return "–" if x is None else spec % x


def table(rows):
    out = ["| inventory | tool | wall (median, min–max) | CPU user+sys | peak RSS | HTTP requests | "
           "MB sent / received | findings |",
           "|---|---|---|---|---|---|---|---|"]
    for r in rows:
        if not r["verified"]:
            out.append("| %s VMs, %s tagged | %s | not timed: %s | | | | | |" % (
                format(r["vms"], ","), format(r["tagged"], ","), r["tool"],
                "its findings differ from nestwarden's" if r["status"] == "differs" else "it failed"))
            continue
        out.append("| %s VMs, %s tagged | %s | %s s (%s–%s) | %s s | %s MiB | %s | %s / %s | %s |" % (
            format(r["vms"], ","), format(r["tagged"], ","), r["tool"],
            fmt(r["wall_median_s"], "%.2f"), fmt(r["wall_min_s"], "%.2f"), fmt(r["wall_max_s"], "%.2f"),
            fmt(r["cpu_median_s"], "%.2f"), fmt(r["peak_rss_median_mib"], "%.0f"),
            fmt(r["requests"], "%d"), fmt(r["bytes_sent"] and r["bytes_sent"] / 1e6, "%.2f"),
            fmt(r["bytes_received"] and r["bytes_received"] / 1e6, "%.2f"), fmt(r["findings"], "%d")))
    return "\n".join(out) + "\n"


COLOURS = {"nestwarden": "#1b6ac9", "pervm": "#d1495b", "collector": "#2a9d55"}


def _log_ticks(lo, hi):
    """Decade bounds around [lo, hi] and ticks at 1, 2, 5 per decade (1 only past 3 decades)."""
    a, b = math.floor(math.log10(lo)), math.ceil(math.log10(hi))
    if a == b:
        b += 1
    steps = (1,) if b - a > 3 else (1, 2, 5)
    ticks = [m * 10 ** e for e in range(a, b + 1) for m in steps if 10 ** a <= m * 10 ** e <= 10 ** b]
    return 10 ** a, 10 ** b, ticks


def _panel(x0, y0, w, h, title, ylabel, rows, key):
    pts = [r for r in rows if r.get(key)]
    if not pts:
        return []
    xlo, xhi, xt = _log_ticks(min(r["vms"] for r in pts), max(r["vms"] for r in pts))
    ylo, yhi, yt = _log_ticks(min(r[key] for r in pts), max(r[key] for r in pts))
    # A margin inside the frame, so that points at a decade's end do not sit on it.
    pad = 12
    X = lambda v: x0 + pad + (math.log10(v) - math.log10(xlo)) / (math.log10(xhi) - math.log10(xlo)) * (w - 2 * pad)  # noqa: E731
    Y = lambda v: y0 + h - pad - (math.log10(v) - math.log10(ylo)) / (math.log10(yhi) - math.log10(ylo)) * (h - 2 * pad)  # noqa: E731
    s = ['<text x="%g" y="%g" font-size="15" font-weight="bold" text-anchor="middle">%s</text>'
         % (x0 + w / 2, y0 - 12, title),
         '<rect x="%g" y="%g" width="%g" height="%g" fill="none" stroke="#444"/>' % (x0, y0, w, h)]
    for v in xt:
        s.append('<line x1="%g" y1="%g" x2="%g" y2="%g" stroke="#ddd"/>' % (X(v), y0, X(v), y0 + h))
        s.append('<text x="%g" y="%g" font-size="11" text-anchor="middle">%s</text>' % (X(v), y0 + h + 16, format(v, ",g")))
    for v in yt:
        s.append('<line x1="%g" y1="%g" x2="%g" y2="%g" stroke="#ddd"/>' % (x0, Y(v), x0 + w, Y(v)))
        s.append('<text x="%g" y="%g" font-size="11" text-anchor="end">%s</text>' % (x0 - 6, Y(v) + 4, format(v, "g")))
    s.append('<text x="%g" y="%g" font-size="12" text-anchor="middle">VMs in the inventory (log scale)</text>'
             % (x0 + w / 2, y0 + h + 36))
    s.append('<text x="%g" y="%g" font-size="12" text-anchor="middle" transform="rotate(-90 %g %g)">%s</text>'
             % (x0 - 48, y0 + h / 2, x0 - 48, y0 + h / 2, ylabel))
    # One line per tool and tagged share: the most common share solid, others dashed and hollow.
    shares = collections.Counter(round(r["tagged"] / r["vms"], 3) for r in pts)
    main_share = shares.most_common(1)[0][0]
    for tool in TOOLS:
        for share in shares:
            line = sorted((r for r in pts if r["tool"] == tool and round(r["tagged"] / r["vms"], 3) == share),
                          key=lambda r: r["vms"])
            if not line:
                continue
            dash = "" if share == main_share else ' stroke-dasharray="5,4"'
            s.append('<polyline fill="none" stroke="%s" stroke-width="2"%s points="%s"/>' % (
                COLOURS[tool], dash, " ".join("%.1f,%.1f" % (X(r["vms"]), Y(r[key])) for r in line)))
            for r in line:
                s.append('<circle cx="%.1f" cy="%.1f" r="4" fill="%s" stroke="%s" stroke-width="2">'
                         '<title>%s, %d VMs, %d tagged: %.3g</title></circle>' % (
                             X(r["vms"]), Y(r[key]), COLOURS[tool] if share == main_share else "white",
                             COLOURS[tool], tool, r["vms"], r["tagged"], r[key]))
    return s


def svg(rows, path):
    w, h, left, top = 400, 300, 80, 60
    body = _panel(left, top, w, h, "Wall time (median)", "seconds (log scale)", rows, "wall_median_s")
    body += _panel(left * 2 + w + 20, top, w, h, "Peak RSS (median)", "MiB (log scale)", rows, "peak_rss_median_mib")
    width = left * 2 + w * 2 + 60
    # Legend: tools by colour, tagged shares by line style.
    ly = top + h + 70
    x = left
    for tool in TOOLS:
        body.append('<line x1="%d" y1="%d" x2="%d" y2="%d" stroke="%s" stroke-width="3"/>' % (x, ly, x + 28, ly, COLOURS[tool]))
        body.append('<text x="%d" y="%d" font-size="12">%s</text>' % (x + 34, ly + 4, tool))
        x += 130
    shares = collections.Counter(round(r["tagged"] / r["vms"], 3) for r in rows if r.get("wall_median_s"))
    for i, (share, _) in enumerate(shares.most_common()):
        dash = "" if i == 0 else ' stroke-dasharray="5,4"'
        body.append('<line x1="%d" y1="%d" x2="%d" y2="%d" stroke="#444" stroke-width="2"%s/>' % (x, ly, x + 28, ly, dash))
        body.append('<circle cx="%d" cy="%d" r="4" fill="%s" stroke="#444" stroke-width="2"/>'
                    % (x + 14, ly, "#444" if i == 0 else "white"))
        body.append('<text x="%d" y="%d" font-size="12">%g %% tagged</text>' % (x + 34, ly + 4, share * 100))
        x += 130
    with open(path, "w") as f:
        f.write('<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" font-family="sans-serif">\n'
                '<rect width="100%%" height="100%%" fill="white"/>\n%s\n</svg>\n' % (width, ly + 30, "\n".join(body)))


def cpu_seconds():
    """(CPU time the whole machine was busy, CPU time of this process and its reaped children: the
    scenarios, the tools), in seconds. Their difference over a run is what other processes took,
    which skews the figures."""
    with open("/proc/stat") as f:
        user, nice, system, _idle, _iowait, irq, softirq = (int(x) for x in f.readline().split()[1:8])
    busy = (user + nice + system + irq + softirq) / os.sysconf("SC_CLK_TCK")
    own = sum(ru.ru_utime + ru.ru_stime for ru in (resource.getrusage(resource.RUSAGE_SELF),
                                                   resource.getrusage(resource.RUSAGE_CHILDREN)))
    return busy, own


def main():
    a = parse_args()
    os.environ["NW_SCENARIO"] = os.path.join(a.builddir, "tests", "nw-scenario")
    os.makedirs(a.out, exist_ok=True)
    t0 = time.monotonic()
    busy0, own0 = cpu_seconds()
    rows = []
    for vms, tagged in a.sizes:
        rows += bench_size(a, vms, tagged)
    busy1, own1 = cpu_seconds()
    wall = time.monotonic() - t0
    others = max(0.0, (busy1 - busy0) - (own1 - own0))
    md = "%s, %d cores, %.0f s; other processes used %.2f CPU-seconds meanwhile (%.1f %% of the machine); " \
         "%d timed runs per tool and size, %d hosts, %d extra DV portgroups\n\n" % (
             time.strftime("%Y-%m-%d"), os.cpu_count(), wall, others, 100 * others / (wall * os.cpu_count()),
             a.runs, a.hosts, a.portgroups) + table(rows)
    print()
    print(md)
    with open(os.path.join(a.out, "results.md"), "w") as f:
        f.write(md)
    with open(os.path.join(a.out, "results.csv"), "w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=list(rows[0]) if rows else ["tool"])
        w.writeheader()
        w.writerows(rows)
    svg(rows, os.path.join(a.out, "results.svg"))
    print("%s: results.md, results.csv, results.svg" % a.out)
    return 0 if rows and all(r["verified"] for r in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
