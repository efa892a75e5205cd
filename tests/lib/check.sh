# check.sh: sourced by the shell tests. Prints TAP lines that tests/run counts.
#   ok "description" command...      passes when the command exits 0
#   fails "description" command...   passes when the command exits non-zero (no sanitizer report)
#   fails_with CODE "description" command...   passes when it exits with exactly CODE
#   skip "description" "reason"
#   expect_in "description" "needle" "$haystack"
# $LFSBUILD is the program under test (the sanitizer build), $ROOT the checkout,
# $T a fresh temporary directory removed at exit.
set -u
ROOT=${ROOT:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}
LFSBUILD=${LFSBUILD:-$ROOT/build/san/lfsbuild}
T=$(mktemp -d /tmp/lfsbuild-test.XXXXXX)
trap 'rm -rf "$T"' EXIT
_n=0
_report() { _n=$((_n + 1)); if [ "$1" = 0 ]; then echo "ok $_n - $2"; else echo "not ok $_n - $2"; fi; }
# A sanitizer report (ASan, LSan, UBSan) is never the intended failure: tests/run gives the
# sanitizers exit codes of their own (ASAN_OPTIONS/UBSAN_OPTIONS exitcode=), and the output is
# searched for their reports, so a "must fail" check cannot pass on a crash or a leak.
SAN_EXIT_ASAN=${SAN_EXIT_ASAN:-86} SAN_EXIT_UBSAN=${SAN_EXIT_UBSAN:-87}
_sanitizer() {  # _sanitizer RC OUTFILE: 0 if a sanitizer spoke
	[ "$1" = "$SAN_EXIT_ASAN" ] || [ "$1" = "$SAN_EXIT_UBSAN" ] ||
		grep -qE 'ERROR: (AddressSanitizer|LeakSanitizer)|runtime error: |SUMMARY: UndefinedBehaviorSanitizer' "$2"
}
_tail() { sed 's/^/#   /' "$T/.out" | tail -20; }
ok() {
	local d=$1; shift; "$@" >"$T/.out" 2>&1; local r=$?
	if [ $r = 0 ] && _sanitizer 0 "$T/.out"; then r=1; echo "# a sanitizer report in the output"; fi
	_report $r "$d"; [ $r = 0 ] || _tail
}
fails() {
	local d=$1; shift; "$@" >"$T/.out" 2>&1; local r=$?
	if [ $r != 0 ] && _sanitizer $r "$T/.out"; then
		_report 1 "$d"; echo "#   exit $r with a sanitizer report, not the intended error:"; _tail; return
	fi
	[ $r != 0 ]; _report $? "$d"; [ $r != 0 ] || _tail
}
# fails_with CODE "description" command...: passes when the command exits with exactly CODE
# (2: a usage error of lfsbuild, 1: a failure) and no sanitizer spoke.
fails_with() {
	local want=$1 d=$2; shift 2; "$@" >"$T/.out" 2>&1; local r=$?
	if _sanitizer $r "$T/.out"; then
		_report 1 "$d"; echo "#   exit $r with a sanitizer report, not the intended error:"; _tail; return
	fi
	[ $r = "$want" ]; _report $? "$d"; [ $r = "$want" ] || { echo "#   exit $r, wanted $want"; _tail; }
}
skip() { _n=$((_n + 1)); echo "ok $_n - $1 # SKIP $2"; }
expect_in() { case "$3" in *"$2"*) _report 0 "$1" ;; *) _report 1 "$1"; printf '#   wanted: %s\n#   got: %s\n' "$2" "$3" | head -20 ;; esac; }
