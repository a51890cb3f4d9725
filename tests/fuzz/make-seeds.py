"""Regenerates the fuzz seed corpus from the scenario's real replies.

    /usr/bin/python3 tests/fuzz/make-seeds.py BUILD_DIR

Starts the scenario (BUILD_DIR/tests/nw-scenario), puts tests/integration/faultproxy.py between it
and the real nestwarden binary (BUILD_DIR/daemon/nestwarden) with one rule that forwards every
request and records the answer, runs `nestwarden check` (paged and not, wrong password, the /api
vAPI flavour, a larger generated world) and `nestwarden run` while mutate.py changes a VM and
portgroups, and cuts what the proxy saw into tests/fuzz/corpus/<harness>/ and seed-gather.txt.
Nothing is made up: every seed byte came from the scenario (the only additions are the "HTTP NNN"
status lines and the separators of fuzz.h's multi-reply format). Request bodies are not kept (the
Login one carries the password).
"""
import glob
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "integration"))
sys.path.insert(0, os.path.join(HERE, "..", "scenario"))

SEP = b"\n--nw-fuzz-next-reply--\n"  # fuzz.h FUZZ_REPLY_SEP
MAX_SEED = 200 * 1024


class Recorder:
    """A faultproxy action: forward, and keep (method, path, soap method, status, body, request body
    for retrievals only) of every exchange."""

    def __init__(self):
        self.log = []

    def __call__(self, req):
        r = req.forward()
        keep = req.body if req.soap_method in ("RetrievePropertiesEx", "CreateFilter") else None
        self.log.append({"method": req.method, "path": req.path, "soap": req.soap_method, "status": r.status,
                         "body": r.body, "req": keep})
        return r

    def take(self):
        out, self.log = self.log, []
        return out


def chunk(rec):
    return b"HTTP %d\n" % rec["status"] + rec["body"]


def joined(recs):
    return SEP.join(chunk(r) for r in recs)


def gather_replies(recs):
    """The replies inventory_gather reads, in order: round 1 (VMs with the hop to their networks) and
    round 2 (switches and hosts), each with its ContinueRetrievePropertiesEx pages; the later name
    lookups and read-backs are left out."""
    out, rounds, keep = [], 0, False
    for r in recs:
        if r["soap"] == "RetrievePropertiesEx":
            body = r["req"] or b""
            first = b"vmToNetwork" in body
            second = b"<type>HostSystem</type>" in body and b"<type>DistributedVirtualSwitch</type>" in body \
                and b"vmToNetwork" not in body and rounds == 1
            keep = (first and rounds == 0) or second
            if keep:
                rounds += 1
        elif r["soap"] != "ContinueRetrievePropertiesEx":
            keep = False
        if keep:
            out.append(r)
        if rounds == 2 and not keep:
            break
    return out


def tagged_vms(recs):
    """What tags_attached_vms returned in this session: the first chunk of a gather seed."""
    for r in recs:
        if "list-attached-objects-on-tags" in r["path"]:
            doc = json.loads(r["body"])
            out = []
            for assoc in (doc["value"] if isinstance(doc, dict) else doc):
                for o in assoc.get("object_ids") or []:
                    if o["type"] == "VirtualMachine" and o["id"] not in out:
                        out.append(o["id"])
            return "".join(m + "\n" for m in out).encode()
    raise LookupError("no list-attached-objects-on-tags in this session")


def gather_seed(recs):
    return tagged_vms(recs) + SEP + joined(gather_replies(recs))


def vapi_login_sequence(recs):
    """The vAPI replies one tags_login + tags_attached_vms + tags_logout reads, in order."""
    rest = [r for r in recs if r["soap"] is None and "/sdk" not in r["path"]]
    out = []
    for r in rest:
        if out and r["method"] == "POST" and r["path"].endswith("session") and any(
                "attached" in o["path"] for o in out):
            break
        if r["method"] == "DELETE" or not any("attached" in o["path"] for o in out):
            out.append(r)
    return out


def write(path, data):
    if len(data) > MAX_SEED:
        print("skipped %s: %d bytes" % (path, len(data)), file=sys.stderr)
        return
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "wb") as f:
        f.write(data)
    print("%7d %s" % (len(data), os.path.relpath(path, HERE)))


def check(nw, conf, expect=(0, 1)):
    p = subprocess.run([nw, "check", "--config", conf], capture_output=True, text=True, timeout=120)
    if p.returncode not in expect:
        raise RuntimeError("check exited %d: %s" % (p.returncode, p.stderr))


def wait_for(recorder, pred, timeout=30):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if any(pred(r) for r in recorder.log):
            return
        time.sleep(0.05)
    raise TimeoutError("the proxy did not see the expected request")


def main(build):
    from faultproxy import FaultProxy
    from scenario import USER, Scenario
    import mutate

    nw = os.path.join(build, "daemon", "nestwarden")
    os.environ["NW_SCENARIO"] = os.path.join(build, "tests", "nw-scenario")
    tmp = tempfile.mkdtemp(prefix="nw-seeds-")
    corpus = os.path.join(HERE, "corpus")
    rec = Recorder()
    sessions = {}

    def through(scn, name, **overrides):
        px = FaultProxy(scn.url, ca_file=scn.ca_file, tmp=tmp)
        px.add_rule(lambda req: True, rec)
        conf = scn.config(name + ".conf", vcenter__url=px.url, vcenter__ca_file=px.ca_file, **overrides)
        return px, conf

    with Scenario(tmp=tmp) as scn:
        px, conf = through(scn, "check")
        with open(conf, "rb") as f:
            example = f.read().replace(tmp.encode(), b"/etc/nestwarden")
        try:
            check(nw, conf)
            sessions["check"] = rec.take()
            check(nw, scn.config("paged.conf", vcenter__url=px.url, vcenter__ca_file=px.ca_file,
                                 vcenter__page_size="3"))
            sessions["paged"] = rec.take()
            bad = os.path.join(tmp, "bad.password")
            with open(os.open(bad, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600), "w") as f:
                f.write("wrong\n")
            check(nw, scn.config("bad.conf", vcenter__url=px.url, vcenter__ca_file=px.ca_file,
                                 vcenter__password_file=bad), expect=(3,))
            sessions["badlogin"] = rec.take()

            # run: its gather, the first (full) update set, then changes as an operator makes them.
            log = open(os.path.join(tmp, "run.log"), "w")
            d = subprocess.Popen([nw, "run", "--config", conf], stdout=log, stderr=log)
            try:
                wait_for(rec, lambda r: r["soap"] == "WaitForUpdatesEx" and b"filterSet" in r["body"])
                si = mutate.connect(scn.url, USER, scn.password_file, scn.ca_file)
                vms = sorted({f["object"] for f in scn.truth["findings"] if f["kind"] == "vm"})
                off = [m for m in vms if mutate.vm_state(si, m)["powerState"] == "poweredOff"]
                dvpgs = sorted({f["object"] for f in scn.truth["findings"] if f["kind"] == "dvportgroup"})
                stdpgs = sorted({f["object"] for f in scn.truth["findings"] if f["kind"] == "portgroup"})
                if off:
                    mutate.set_nested_hv(si, off[0], True)
                mutate.set_dvpg_mac_policy(si, dvpgs[0], forged_transmits=True, learning_limit=10)
                if stdpgs:
                    host, _, name = stdpgs[0].partition("/")
                    mutate.update_portgroup(si, host, name, allow_promiscuous=True)
                wait_for(rec, lambda r: r["soap"] == "WaitForUpdatesEx" and b"modify" in r["body"])
                time.sleep(1.5)  # the rest of the changes, batched on the scenario's 250 ms tick
            finally:
                d.send_signal(signal.SIGTERM)
                try:
                    d.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    d.kill()
                    d.wait()
                log.close()
            sessions["run"] = rec.take()
        finally:
            px.stop()

    with Scenario("-vapi", "api", tmp=tempfile.mkdtemp(prefix="nw-seeds-api-")) as scn:
        px, conf = through(scn, "api")
        try:
            check(nw, conf)
            sessions["api"] = rec.take()
        finally:
            px.stop()

    with Scenario("-vms", "40", "-tagged", "24", "-portgroups", "6", "-seed", "7",
                  tmp=tempfile.mkdtemp(prefix="nw-seeds-big-")) as scn:
        px, conf = through(scn, "big")
        try:
            check(nw, scn.config("big.conf", vcenter__url=px.url, vcenter__ca_file=px.ca_file,
                                 vcenter__page_size="16"))
            sessions["big"] = rec.take()
        finally:
            px.stop()

    for name in ("soap_reply", "props", "updates", "tags_json", "config"):
        shutil.rmtree(os.path.join(corpus, name), ignore_errors=True)

    # soap_reply: one reply per (method, status), from every session.
    seen = set()
    for sess in ("check", "badlogin", "run", "paged", "api"):
        for r in sessions[sess]:
            key = (r["soap"], r["status"])
            if r["soap"] and key not in seen:
                seen.add(key)
                write(os.path.join(corpus, "soap_reply", "%s-%d.xml" % key), r["body"])

    # props: each session's gather (after the tagged VMs' morefs); seed-gather.txt: run's, which its update sets belong to.
    for sess in ("check", "paged", "big"):
        write(os.path.join(corpus, "props", sess + ".txt"), gather_seed(sessions[sess]))
    write(os.path.join(HERE, "seed-gather.txt"), gather_seed(sessions["run"]))

    # updates: every WaitForUpdatesEx answer of run, alone and all in a row.
    waits = [r for r in sessions["run"] if r["soap"] == "WaitForUpdatesEx"]
    for i, r in enumerate(waits):
        write(os.path.join(corpus, "updates", "wait-%02d.txt" % i), chunk(r))
    write(os.path.join(corpus, "updates", "all.txt"), joined(waits))

    # tags_json: the vAPI replies of one login, per flavour.
    for sess in ("check", "api"):
        write(os.path.join(corpus, "tags_json", sess + ".txt"), joined(vapi_login_sequence(sessions[sess])))

    # config: the example, the unit tests' files, and a config the scenario runs used.
    for path in [os.path.join(HERE, "..", "..", "conf", "nestwarden.conf")] + sorted(
            glob.glob(os.path.join(HERE, "..", "unit", "config", "*.conf"))):
        with open(path, "rb") as f:
            write(os.path.join(corpus, "config", os.path.basename(path)), f.read())
    write(os.path.join(corpus, "config", "scenario.conf"), example)
    shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit("usage: %s BUILD_DIR" % sys.argv[0])
    main(os.path.abspath(sys.argv[1]))
