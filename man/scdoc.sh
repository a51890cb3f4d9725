#!/bin/sh
# scdoc source on stdin -> man page on stdout (meson's custom_target feeds and captures).
# Usage: scdoc.sh SCDOC VERSION
# @VERSION@ in the preamble becomes the project's version (the page's footer). scdoc puts .nh (no
# hyphenation) before .TH, and man's .TH turns hyphenation back on: without a second .nh after it,
# man splits key names and paths at the line end (vcen-ter.password, FetchD-VPorts).
set -eu
src=$(sed "s/@VERSION@/$2/")
page=$(printf '%s\n' "$src" | "$1")
printf '%s\n' "$page" | awk '{ print } /^\.TH / { print ".nh" }'
