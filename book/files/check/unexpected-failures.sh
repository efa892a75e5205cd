#!/bin/bash
# unexpected-failures.sh [--known PATTERN]... [--allow N] -- LOG...
# The verdict of a critical test suite (the book: "do not skip it", "do not go on"): reads the
# `FAIL: name` and `ERROR: name` lines of the logs (automake's *.log and test-suite.log, DejaGnu's
# *.sum, glibc's tests.sum), drops the ones whose name matches a --known shell pattern (the
# book's list of known failures), and prints each other one as `UNEXPECTED: name` (lfsbuild
# copies these lines into the step's log when the step fails). Exits 1 when more than N (default
# 0) unexpected failures are left, 0 otherwise; 2 on a usage error or when no log exists (a
# suite that wrote nothing has not passed).
set -u
known=() allow=0
while [ $# -gt 0 ]; do
  case $1 in
    --known) known+=("$2"); shift 2 ;;
    --allow) allow=$2; shift 2 ;;
    --) shift; break ;;
    *) echo "unexpected-failures: unknown option '$1'" >&2; exit 2 ;;
  esac
done
[ $# -gt 0 ] || { echo "usage: unexpected-failures.sh [--known PATTERN]... [--allow N] -- LOG..." >&2; exit 2; }
logs=()
for f in "$@"; do [ -f "$f" ] && logs+=("$f"); done
[ ${#logs[@]} -gt 0 ] || { echo "unexpected-failures: none of the logs exists: $*" >&2; exit 2; }
n=0 seen=0
while IFS= read -r name; do
  seen=$((seen + 1))
  for k in "${known[@]}"; do
    # shellcheck disable=SC2053
    [[ $name == $k ]] && continue 2
  done
  echo "UNEXPECTED: $name"
  n=$((n + 1))
done < <(sed -n 's/^\(FAIL\|ERROR\): \([^ ]*\).*/\2/p' "${logs[@]}" | sort -u)
echo "unexpected-failures: $seen failing test(s), $((seen - n)) known, $n unexpected (allowed: $allow)"
[ "$n" -le "$allow" ]
