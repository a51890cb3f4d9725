#!/bin/sh
# Builds the Debian package out of tree and lints it: build.sh OUTDIR
#
# Copies the files git tracks, as they are in the working tree (uncommitted edits included,
# untracked files not: what a clone plus your edits would hold), to OUTDIR/src/nestwarden-VERSION,
# runs `dpkg-buildpackage -us -uc -b` there (it writes next to the source tree, hence the copy), moves
# the results to OUTDIR and runs lintian on the .changes. A compiler warning, a lintian error or
# warning, or a version in debian/changelog other than meson.build's fails.
set -eu
[ $# -eq 1 ] || { echo "usage: $0 OUTDIR" >&2; exit 2; }
# dpkg-dev and lintian, and below debian/control's Build-Depends, from Debian's packages: the
# README's first-hour install runs this script alone on a fresh machine.
export DEBIAN_FRONTEND=noninteractive
if ! command -v dpkg-parsechangelog >/dev/null || ! command -v lintian >/dev/null; then
        apt-get update -qq
        apt-get install -y -qq --no-install-recommends dpkg-dev lintian >/dev/null
fi
top=$(git -C "$(dirname "$0")" rev-parse --show-toplevel)
mkdir -p "$1"
out=$(realpath "$1")

version=$(dpkg-parsechangelog -l "$top/debian/changelog" -S Version)
meson_version=$(sed -n "s/^[[:space:]]*version[[:space:]]*:[[:space:]]*'\([^']*\)'.*/\1/p" "$top/meson.build" | head -n 1)
if [ "${version%-*}" != "$meson_version" ]; then
        echo "debian/changelog says $version, meson.build $meson_version: add a changelog entry" >&2
        exit 1
fi

src=$out/src/nestwarden-$version
rm -rf "$out/src"
rm -f "$out"/nestwarden*.deb "$out"/nestwarden_*.changes "$out"/nestwarden_*.buildinfo
mkdir -p "$src"
# Tracked files still present (a deleted one is left out, as a commit would leave it out).
(cd "$top" && git ls-files -z --cached |
        xargs -0 sh -c 'for f; do if [ -e "$f" ] || [ -L "$f" ]; then printf "%s\0" "$f"; fi; done' sh |
        tar --null -T - -cf -) | tar -xf - -C "$src"

# What debian/control asks to build with, from Debian's packages.
if ! (cd "$src" && dpkg-checkbuilddeps) 2>/dev/null; then
        apt-get update -qq
        apt-get build-dep -y -qq "$src" >/dev/null
fi

start=$(date +%s)
(cd "$src" && dpkg-buildpackage -us -uc -b) > "$out/build.log" 2>&1 || {
        tail -n 60 "$out/build.log" >&2
        echo "dpkg-buildpackage failed; the whole log is $out/build.log" >&2
        exit 1
}
built=$(date +%s)
arch=$(dpkg-architecture -q DEB_HOST_ARCH)
for f in "$out/src"/nestwarden*_"$version"_*.deb "$out/src/nestwarden_${version}_$arch.buildinfo" \
        "$out/src/nestwarden_${version}_$arch.changes"; do
        mv "$f" "$out/"
done
echo "built in $((built - start)) s: $(cd "$out" && ls nestwarden*.deb | tr '\n' ' ')"
# debian/rules builds without werror (for rebuilds with other compilers); here a warning under
# Debian's flags (-O2, _FORTIFY_SOURCE=2) fails as it would in the CI's own builds.
if grep -E '\.[ch]:[0-9]+(:[0-9]+)?: warning:' "$out/build.log" >&2; then
        echo "compiler warnings in the package build, see $out/build.log" >&2
        exit 1
fi

rc=0
lintian --fail-on error,warning --display-info "$out/nestwarden_${version}_$arch.changes" || rc=$?
if [ $rc -eq 0 ]; then
        echo "lintian: no errors or warnings ($(( $(date +%s) - built )) s)"
else
        echo "lintian: failed, exit $rc ($(( $(date +%s) - built )) s)" >&2
fi
exit $rc
