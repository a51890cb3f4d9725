#!/bin/sh
# Runs the scenario's Go tests offline against Debian's govmomi: gotest.sh GOCACHE_DIR
set -eu
cd "$(dirname "$0")"
GOENV=off GO111MODULE=off GOPATH=/usr/share/gocode GOCACHE="$1" GOFLAGS= GOTOOLCHAIN=local exec go test -count=1 .
