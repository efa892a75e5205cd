#!/usr/bin/env bash
# bench/fetch.sh: every source of book/sources into an empty cache (cold), then a run on the
# warm cache (nothing to download), then `--verify` of the warm cache (every file read again).
# Prints the figures and writes them into docs/BENCHMARKS.md between the markers
# <!-- bench:fetch:begin --> and <!-- bench:fetch:end --> (other sections are left alone).
#   BENCH_CACHE=DIR   the cache to use (default /var/tmp/lfsbuild-bench-fetch; emptied first)
#   BENCH_KEEP=1      keep the cache afterwards
set -u
ROOT=$(cd "$(dirname "$0")/.." && pwd)
LFS=$ROOT/lfsbuild
[ -x "$LFS" ] || make -C "$ROOT" lfsbuild >/dev/null || exit 1
CACHE=${BENCH_CACHE:-/var/tmp/lfsbuild-bench-fetch}
LOG=${CACHE%/}.log
rm -rf "$CACHE"
mkdir -p "$CACHE"
: >"$LOG"
unset LFSBUILD_MIRRORS LFSBUILD_APT_ROOT

now() { date +%s.%N; }
# run NAME ARGS...: one timed run; sets $secs and $rc
run() {
	local name=$1
	shift
	echo "== $name: lfsbuild $*" >>"$LOG"
	local t0
	t0=$(now)
	"$LFS" --book "$ROOT/book" --sources "$CACHE" "$@" >>"$LOG" 2>&1
	rc=$?
	secs=$(awk -v a="$t0" -v b="$(now)" 'BEGIN { printf "%.1f", b - a }')
	echo "== $name: exit $rc, ${secs}s" >>"$LOG"
}

nsrc=$(grep -c '^source ' "$ROOT/book/sources")
run cold fetch
cold=$secs cold_rc=$rc
files=$(find "$CACHE" -maxdepth 1 -type f | wc -l)
bytes=$(find "$CACHE" -maxdepth 1 -type f -printf '%s\n' | awk '{ s += $1 } END { print s + 0 }')
mib=$(awk -v b="$bytes" 'BEGIN { printf "%.0f", b / 1048576 }')
rate=$(awk -v b="$bytes" -v s="$cold" 'BEGIN { if (s > 0) printf "%.1f", b / 1048576 / s; else print "-" }')
run warm fetch
warm=$secs warm_rc=$rc
warm_dl=$(grep -o '([0-9]* fetched' "$LOG" | tail -1 | tr -dc 0-9)
run verify fetch --verify
verify=$secs verify_rc=$rc
failed=$(grep -o '[0-9]* of [0-9]* sources could not be fetched' "$LOG" | head -1)

host="$(nproc) cores, $(awk '/MemTotal/ { printf "%.0f GiB", $2 / 1048576 }' /proc/meminfo)"
date=$(date -u +%Y-%m-%d)
section=$(cat <<EOF
<!-- bench:fetch:begin -->
## fetch (bench/fetch.sh)

All $nsrc sources of book/sources from the Debian archive (the host's apt mirror URIs; the
upstream hosts are unreachable here) into an empty cache, then again on the warm cache, then
\`--verify\` (every file read and hashed again; the files are in the page cache by then).
$date, $host.

| run | wall time | exit | notes |
| --- | --- | --- | --- |
| cold | ${cold} s | $cold_rc | $files files, $mib MiB, $rate MiB/s overall${failed:+; $failed} |
| warm | ${warm} s | $warm_rc | ${warm_dl:-?} files downloaded (stamps checked, no file read) |
| --verify | ${verify} s | $verify_rc | full re-hash (SHA-256 + MD5) of $mib MiB |

Goals: cold < 5 min, warm < 10 s.
<!-- bench:fetch:end -->
EOF
)
echo "$section"

. "$ROOT/bench/lib.sh"
bench_write fetch "$section"
echo "bench/fetch.sh: log in $LOG; figures in docs/BENCHMARKS.md"
[ -n "${BENCH_KEEP:-}" ] || rm -rf "$CACHE"
[ "$cold_rc" = 0 ] && [ "$warm_rc" = 0 ] && [ "$verify_rc" = 0 ]
