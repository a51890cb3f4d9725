#!/bin/sh
# Installs what building and testing nestwarden needs, from Debian's packages only.
set -eu
pkgs="build-essential meson ninja-build pkg-config libcurl4-openssl-dev libxml2-dev libssl-dev \
libsystemd-dev libinih-dev libjson-c-dev golang-go golang-github-vmware-govmomi-dev python3 python3-pyvmomi \
systemd clang libclang-rt-14-dev time debhelper dpkg-dev lintian scdoc groff-base \
systemd-container man-db"
missing=$(dpkg-query -W -f='${db:Status-Abbrev} ${Package}\n' $pkgs 2>/dev/null | awk '$1 != "ii" {print $2}')
# dpkg-query prints nothing for packages it has never heard of: count those as missing too.
for p in $pkgs; do
        dpkg-query -W -f='${db:Status-Abbrev}' "$p" 2>/dev/null | grep -q '^ii' || missing="$missing $p"
done
if [ -n "$(echo $missing)" ]; then
        export DEBIAN_FRONTEND=noninteractive
        apt-get update -qq
        apt-get install -y -qq --no-install-recommends $pkgs >/dev/null
fi

# promtool, to check the metrics file as Prometheus reads it: unpacked from Debian's prometheus
# package into tests/.tools (git-ignored), not installed, since installing it starts a Prometheus
# server on a machine with systemd.
tools=$(dirname "$0")/.tools
if [ ! -x "$tools/promtool" ]; then
        d=$(mktemp -d)
        (cd "$d" && apt-get download prometheus >/dev/null 2>&1 || { apt-get update -qq && apt-get download prometheus >/dev/null; })
        dpkg-deb -x "$d"/prometheus_*.deb "$d/x"
        mkdir -p "$tools"
        cp "$d/x/usr/bin/promtool" "$tools/promtool"
        rm -rf "$d"
fi
