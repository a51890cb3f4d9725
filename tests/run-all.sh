#!/bin/sh
# The whole test suite, as CI runs it: install, build plain and with ASan+UBSan, meson test both,
# build and lint the Debian package and run it under a real systemd in a container, then run each
# libFuzzer harness for a bounded time.
set -eu
cd "$(dirname "$0")/.."
sh tests/deps.sh
export NW_PROMTOOL="$PWD/tests/.tools/promtool"

status=0
for variant in plain asan; do
        dir=build-test-$variant
        case $variant in
        plain) opts="" ;;
        asan) opts="-Db_sanitize=address,undefined -Db_lundef=false" ;;
        esac
        [ -f "$dir/build.ninja" ] || meson setup "$dir" $opts >/dev/null
        ninja -C "$dir"
        # Sanitizer reports must fail the test, not scroll by.
        ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
                meson test -C "$dir" --print-errorlogs --num-processes 2 --no-suite system || status=1
done
# The Debian package, built from a copy of the tracked tree and linted (tests/deb/build.sh; README:
# Debian package). Then that package under a real systemd, in a container booted over an overlay of
# / (the meson suite 'system'; it skips, saying why, where the machine cannot boot one).
mkdir -p build-test-deb
rm -f build-test-deb/result.txt
if sh tests/deb/build.sh build-test-deb; then
        echo "package OK" >build-test-deb/result.txt
        deb=$(ls build-test-deb/nestwarden_*.deb)
else
        echo "package FAIL" >build-test-deb/result.txt
        status=1
        deb=""
fi
NW_DEB=${deb:+$PWD/$deb} meson test -C build-test-plain --suite system --print-errorlogs --logbase systemlog || status=1
# Every libFuzzer harness for 30 s from its seed corpus, built with clang (README: Fuzzing).
sh tests/fuzz/run-fuzzers.sh build-test-fuzz 30 || status=1

/usr/bin/python3 - <<'PY'
import json
passed = failed = 0
for log in ("build-test-plain/meson-logs/testlog.json", "build-test-asan/meson-logs/testlog.json",
            "build-test-plain/meson-logs/systemlog.json"):
    with open(log) as f:
        for line in f:
            r = json.loads(line)
            if r["result"] in ("OK", "EXPECTEDFAIL"):
                passed += 1
            elif r["result"] == "SKIP":
                # Say why, so a skipped systemd test is never mistaken for a passed one.
                why = [l for l in (r.get("stdout") or "").splitlines() if l.startswith("skipped")]
                print("SKIPPED %s: %s" % (r["name"], why[-1] if why else "(no reason printed)"))
            else:
                failed += 1
# The package step: no file means it did not get to run.
try:
    with open("build-test-deb/result.txt") as f:
        if f.read().split()[1:2] == ["OK"]:
            passed += 1
        else:
            failed += 1
except FileNotFoundError:
    failed += 1
# The fuzz step: a line per harness; no file means the step did not get to run them.
try:
    with open("build-test-fuzz/fuzz-results.txt") as f:
        for line in f:
            if line.split()[1:2] == ["OK"]:
                passed += 1
            else:
                failed += 1
except FileNotFoundError:
    failed += 1
print("%d passed, %d failed" % (passed, failed))
PY
exit $status
