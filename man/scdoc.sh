#!/bin/sh
# scdoc source on stdin -> man page on stdout (meson's custom_target feeds and captures).
# Usage: scdoc.sh SCDOC VERSION
# @VERSION@ in the preamble becomes the project's version (the page's footer). scdoc puts .nh (no
# hyphenation) before .TH, and man's .TH turns hyphenation back on: without a second .nh after it,
# man splits key names and paths at the line end (vcen-ter.password, FetchD-VPorts).
set -eu
src=$(sed "s/@VERSION@/$2/")
page=$(printf '%s\n' "$src" | "$1")
# And groff breaks lines after a hyphen between two word characters (vcenter-/password,
# dvportgroup-/17): those get \-, which it neither breaks after nor renders as anything but '-' in a
# terminal. Requests, and scdoc's own \h'-04' moves, keep theirs.
printf '%s\n' "$page" | awk '{ print } /^\.TH / { print ".nh" }' |
        sed -E "/^[.']/!{ :a; s/([[:alnum:]_])-([[:alnum:]_])/\\1\\\\-\\2/; ta; }"
