#!/usr/bin/env bash
# bench/capture-cost.sh WORKDIR [REFERENCE] [PATTERN]: what capture costs after each step, measured
# on the package archives of WORKDIR (a build with --capture on), away from the build: for each
# archive build/bench/capture-cost unpacks it into a scratch directory and times the engine's own
# functions on it (file list with sha256, package archive, the merge; docs/engine.md "Capture").
# Per step and per chapter: that cost against the step's wall time, read from REFERENCE's stamps
# (a work directory of the same book built without capture on a quiet machine; default WORKDIR
# itself). PATTERN (a grep -E regex on step ids, default all) limits the steps. Run it on a quiet
# machine: it prints a Markdown section and writes it into docs/BENCHMARKS.md (bench:capture-cost).
# What it does not measure: the overlay's cost during the step itself (its copy-ups): the side by
# side of two whole builds gives that (bench/capture.py).
set -u
ROOT=$(cd "$(dirname "$0")/.." && pwd)
. "$ROOT/bench/lib.sh"
W=${1:?usage: $0 WORKDIR [REFERENCE] [PATTERN]}
REF=${2:-$W}
PAT=${3:-.}
BIN=$ROOT/build/bench/capture-cost
make -s -C "$ROOT" build/bench/capture-cost || exit 1
S=$(mktemp -d "${TMPDIR:-/var/tmp}/capture-cost.XXXXXX")
trap 'rm -rf "$S"' EXIT
stamp_field() { sed -n "s/^$2 //p" "$1" 2>/dev/null | head -1; }
rows=$S/rows.tsv
: >"$rows"
for l in "$W"/packages/*.files; do
	[ -e "$l" ] || continue
	flat=${l##*/}; flat=${flat%.files}        # packages/STEP-VERSION-HASH12.tar.zst beside STEP.files
	step=${flat/_//}
	a=$(ls "$W/packages/$flat"-*.tar.zst 2>/dev/null | grep -E "/$flat-[^/]*-[0-9a-f]{12}\.tar\.zst$" | head -1)
	[ -n "$a" ] || continue
	base=${a##*/}; base=${base%.tar.zst}
	rest=${base#"$flat"-}; short=${rest##*-}; version=${rest%-*}
	echo "$step" | grep -qE "$PAT" || continue
	st=$W/state/stamps/$step.stamp
	hash=$(stamp_field "$st" hash)
	case $hash in "$short"*) ;; *) echo "$step: its stamp's hash is not the archive's ($short): skipped" >&2; continue ;; esac
	wall=$(stamp_field "$REF/state/stamps/$step.stamp" wall)
	rm -rf "$S/x" && mkdir -p "$S/x"
	line=$("$BIN" "$a" "$step" "$version" "$hash" "$S/x") || { echo "$step: not measured" >&2; continue; }
	printf '%s\t%s\n' "$line" "${wall:--}" | tee -a "$rows" >&2
done
body=$(python3 - "$rows" "$W" "$REF" "$(date -u +%Y-%m-%d)" "$(nproc)" <<'PY'
import sys, collections
rows = [l.rstrip("\n").split("\t") for l in open(sys.argv[1]) if l.strip()]
w, ref, day, ncpu = sys.argv[2:6]
print("## Capture: the post-step cost per archive (bench/capture-cost.sh)\n")
print(f"{day}, {ncpu} CPUs; archives of `{w}`, step walls from `{ref}`. The engine's own functions")
print("on each archive unpacked into a scratch directory: the file list (sha256 of every file), the")
print("package archive (tar + zstd 3), and capture_merge (list + archive + merge, journal and fsyncs).")
print("`share`: capture_merge's wall against the step's wall.\n")
print("| chapter | steps | files | MB | list cpu s | archive cpu s | post-step wall s | post-step cpu s | steps' wall s | share |")
print("|---|---|---|---|---|---|---|---|---|---|")
ch = collections.OrderedDict()
big = []
for r in rows:
    step, files, size, uw, uc, lw, lc, pw, pc, mw, mc, wall = r
    c = ch.setdefault(step.split("/")[0], [0, 0, 0, 0.0, 0.0, 0.0, 0.0, 0.0])
    c[0] += 1; c[1] += int(files); c[2] += int(size); c[3] += float(lc); c[4] += float(pc); c[5] += float(mw); c[6] += float(mc)
    c[7] += float(wall) if wall != "-" else 0.0
    big.append((float(mw), step, files, int(size), float(mw), float(mc), wall))
tot = [0, 0, 0, 0.0, 0.0, 0.0, 0.0, 0.0]
for name, c in ch.items():
    share = f"{100 * c[5] / c[7]:.1f} %" if c[7] else "-"
    print(f"| {name} | {c[0]} | {c[1]} | {c[2] / 1e6:.0f} | {c[3]:.1f} | {c[4]:.1f} | {c[5]:.1f} | {c[6]:.1f} | {c[7]:.0f} | {share} |")
    tot = [a + b for a, b in zip(tot, c)]
share = f"{100 * tot[5] / tot[7]:.1f} %" if tot[7] else "-"
print(f"| all | {tot[0]} | {tot[1]} | {tot[2] / 1e6:.0f} | {tot[3]:.1f} | {tot[4]:.1f} | {tot[5]:.1f} | {tot[6]:.1f} | {tot[7]:.0f} | {share} |")
print("\nThe ten largest:\n")
print("| step | files | MB | post-step wall s | cpu s | step's wall s |")
print("|---|---|---|---|---|---|")
for _, step, files, size, mw, mc, wall in sorted(big, reverse=True)[:10]:
    print(f"| {step} | {files} | {size / 1e6:.0f} | {mw:.1f} | {mc:.1f} | {wall} |")
PY
)
echo "$body"
bench_write capture-cost "$body"
