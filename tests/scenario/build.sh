#!/bin/sh
# Builds the simulator scenario offline from Debian's govmomi: build.sh OUTPUT GOCACHE_DIR
set -eu
out=$(realpath -m "$1")
cd "$(dirname "$0")"
GOENV=off GO111MODULE=off GOPATH=/usr/share/gocode GOCACHE="$2" GOFLAGS= GOTOOLCHAIN=local exec go build -o "$out" .
