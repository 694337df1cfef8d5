#!/usr/bin/env bash
# chdb.sh fetch|path
#
# Fetches ClickHouse 26 as a library (libchdb.so from the npm package
# @chdb/lib-linux-x64-gnu, pinned with its integrity hash by
# tests/chcompat/npm/package-lock.json) for the ClickHouse compatibility
# suite (tests/chcompat), with `npm ci` into CEM_CHDB_DIR. A cached copy is
# reused while the lock file is unchanged.
#
#   fetch   download when missing or outdated; prints the library's path
#   path    prints the library's path; fails when it is not fetched
#
#   CEM_CHDB_DIR  where the package is installed (default .data/chdb)
#
# Only linux x64 with glibc is supported (the only platform package that
# the suite pins).
set -euo pipefail
SCRIPT_NAME=chdb
# shellcheck source=lib/common.sh
source "$(dirname "$0")/lib/common.sh"

DIR=${CEM_CHDB_DIR:-$ROOT/.data/chdb}
[[ $DIR = /* ]] || DIR=$ROOT/$DIR
SRC=$ROOT/tests/chcompat/npm
LIB=$DIR/node_modules/@chdb/lib-linux-x64-gnu/libchdb.so

fresh() { [[ -s $LIB ]] && cmp -s "$SRC/package-lock.json" "$DIR/package-lock.json"; }

fetch() {
	if fresh; then
		echo "$LIB"
		return
	fi
	[[ $(uname -sm) == "Linux x86_64" ]] || die "libchdb: only linux x86_64 is pinned, this is $(uname -sm)"
	command -v npm >/dev/null || die "npm is not installed (needed to fetch libchdb)"
	log "fetching libchdb (ClickHouse 26, about 160 MB) into $DIR"
	mkdir -p "$DIR"
	cp "$SRC/package.json" "$SRC/package-lock.json" "$DIR/"
	(cd "$DIR" && npm ci --no-audit --no-fund --ignore-scripts --loglevel=error >&2)
	[[ -s $LIB ]] || die "npm ci did not install $LIB"
	echo "$LIB"
}

case ${1:-} in
fetch) fetch ;;
path)
	fresh || die "libchdb is not fetched (scripts/chdb.sh fetch)"
	echo "$LIB"
	;;
*) die "usage: chdb.sh fetch|path" ;;
esac
