#!/bin/sh
# The whole test suite, as CI runs it: install, build plain and with ASan+UBSan, meson test both,
# then run each libFuzzer harness for a bounded time, then build and lint the Debian package.
set -eu
cd "$(dirname "$0")/.."
sh tests/deps.sh

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
                meson test -C "$dir" --print-errorlogs --num-processes 2 || status=1
done
# Every libFuzzer harness for 30 s from its seed corpus, built with clang (README: Fuzzing).
sh tests/fuzz/run-fuzzers.sh build-test-fuzz 30 || status=1
# The Debian package, built from a copy of the tracked tree and linted (README: Debian package).
mkdir -p build-test-deb
if sh tests/deb/build.sh build-test-deb; then deb=OK; else deb=FAIL; status=1; fi
echo "deb $deb" > build-test-deb/deb-result.txt

/usr/bin/python3 - <<'PY'
import json
passed = failed = 0
for v in ("plain", "asan"):
    with open("build-test-%s/meson-logs/testlog.json" % v) as f:
        for line in f:
            r = json.loads(line)
            if r["result"] in ("OK", "EXPECTEDFAIL"):
                passed += 1
            elif r["result"] != "SKIP":
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
with open("build-test-deb/deb-result.txt") as f:
    if f.read().split()[1:2] == ["OK"]:
        passed += 1
    else:
        failed += 1
print("%d passed, %d failed" % (passed, failed))
PY
exit $status
