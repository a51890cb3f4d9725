#!/bin/sh
# The demo: build nestwarden, start the bundled simulator scenario on 127.0.0.1, run
# `nestwarden check` against it and show the drift report. Pass --json for the JSON document.
set -eu
cd "$(dirname "$0")/.."
sh tests/deps.sh
[ -f build-demo/build.ninja ] || meson setup build-demo >/dev/null
ninja -C build-demo >/dev/null

tmp=$(mktemp -d)
pid=
cleanup() {
        [ -n "$pid" ] && kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null
        rm -rf "$tmp"
}
trap cleanup EXIT INT TERM

umask 077
head -c 18 /dev/urandom | base64 > "$tmp/vcenter.password"
mkfifo "$tmp/line"
build-demo/tests/nw-scenario -user demo@vsphere.local -password-file "$tmp/vcenter.password" \
        -cert-out "$tmp/ca.pem" >"$tmp/line" 2>"$tmp/scenario.log" &
pid=$!
url=$(head -n 1 "$tmp/line" | /usr/bin/python3 -c 'import json, sys; print(json.load(sys.stdin)["url"])')

cat > "$tmp/nestwarden.conf" <<CONF
[vcenter]
url = $url
user = demo@vsphere.local
password_file = $tmp/vcenter.password
ca_file = $tmp/ca.pem
CONF

nw() {
        echo "\$ nestwarden $1 --config $tmp/nestwarden.conf${2:+ $2}"
        rc=0
        build-demo/daemon/nestwarden "$@" --config "$tmp/nestwarden.conf" || rc=$?
        echo "exit code $rc (0 compliant, 1 drift found, 3 could not check)"
        echo
}

echo "simulated vCenter at $url"
echo
nw check "$@"
# Remediation under the default rails: powered-on VMs, templates and shared portgroups are left alone.
nw fix
nw check "$@"
