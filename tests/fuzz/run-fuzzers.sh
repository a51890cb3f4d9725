#!/bin/sh
# CI's fuzz step: builds the libFuzzer harnesses with clang (-Dfuzz=true) and runs each for a bounded
# time, from a copy of its seed corpus (new inputs go to a temporary directory, never into the tree)
# plus its regression reproducers. Any crash, leak, timeout or broken contract fails the step; the
# input that did it is kept under BUILD_DIR/fuzz-artifacts/. One line per harness goes to
# BUILD_DIR/fuzz-results.txt ("NAME OK RUNS" or "NAME FAIL") for run-all.sh's count.
#
#   sh tests/fuzz/run-fuzzers.sh BUILD_DIR [SECONDS_EACH]      (default 30)
set -eu
cd "$(dirname "$0")/../.."
dir=$1
secs=${2:-30}
harnesses="soap_reply props updates tags_json config"

# No results from an earlier run may stand in for this one's if the build below fails.
rm -f "$dir/fuzz-results.txt"
[ -f "$dir/build.ninja" ] || CC=clang meson setup "$dir" -Dfuzz=true >/dev/null
targets=""
for h in $harnesses; do
        targets="$targets tests/fuzz/fuzz_$h"
done
# Only the harnesses: the rest of a clang build (the scenario, the daemon) is not needed here.
ninja -C "$dir" $targets

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
results="$dir/fuzz-results.txt"
: >"$results"
status=0
for h in $harnesses; do
        cp -r "tests/fuzz/corpus/$h" "$work/$h"
        set -- "$work/$h"
        [ -d "tests/fuzz/regressions/$h" ] && set -- "$@" "tests/fuzz/regressions/$h"
        if "$dir/tests/fuzz/fuzz_$h" -max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
                -artifact_prefix="$work/$h-" "$@" >"$work/$h.log" 2>&1; then
                runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$work/$h.log")
                echo "fuzz_$h: $runs runs in $secs s, nothing found"
                echo "$h OK $runs" >>"$results"
        else
                status=1
                echo "fuzz_$h: FAILED"
                tail -n 60 "$work/$h.log"
                mkdir -p "$dir/fuzz-artifacts"
                for a in "$work/$h-"*; do
                        [ -e "$a" ] && cp "$a" "$dir/fuzz-artifacts/" && echo "kept $dir/fuzz-artifacts/$(basename "$a")"
                done
                echo "$h FAIL" >>"$results"
        fi
done
exit $status
