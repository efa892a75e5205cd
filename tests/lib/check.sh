# check.sh: sourced by the shell tests. Prints TAP lines that tests/run counts.
#   ok "description" command...      passes when the command exits 0
#   fails "description" command...   passes when the command exits non-zero
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
ok() { local d=$1; shift; "$@" >"$T/.out" 2>&1; local r=$?; _report $r "$d"; [ $r = 0 ] || sed 's/^/#   /' "$T/.out" | tail -20; }
fails() { local d=$1; shift; "$@" >"$T/.out" 2>&1; local r=$?; [ $r != 0 ]; _report $? "$d"; [ $r != 0 ] || sed 's/^/#   /' "$T/.out" | tail -20; }
skip() { _n=$((_n + 1)); echo "ok $_n - $1 # SKIP $2"; }
expect_in() { case "$3" in *"$2"*) _report 0 "$1" ;; *) _report 1 "$1"; printf '#   wanted: %s\n#   got: %s\n' "$2" "$3" | head -20 ;; esac; }
