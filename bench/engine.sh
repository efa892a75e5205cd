#!/usr/bin/env bash
# bench/engine.sh: the build engine's own cost, on synthetic books shaped like the real one.
#  - the real book's steps (book/toc with a recipe), stages, `after`, `exclusive` and sbu, each
#    step sleeping sbu x SCALE seconds: --sequential against the scheduler at -j2;
#  - the same steps doing nothing: the engine's overhead per step (sandbox set-up included);
#  - `lfsbuild build` when everything is up to date.
# Prints the figures and writes them into docs/BENCHMARKS.md between the bench:engine markers.
# LFSBUILD=path (default ./lfsbuild), SCALE=seconds per SBU (default 0.05).
set -eu
cd "$(dirname "$0")/.."
ROOT=$PWD
LFSBUILD=${LFSBUILD:-$ROOT/lfsbuild}
SCALE=${SCALE:-0.05}
[ -x "$LFSBUILD" ] || { echo "bench/engine.sh: build lfsbuild first (make)" >&2; exit 1; }
T=$(mktemp -d /var/tmp/lfsbuild-bench.XXXXXX)
trap 'rm -rf "$T"' EXIT
chmod 755 "$T"

# gen_book DIR BODY: BODY is "sleep" (sbu x SCALE) or "noop"
gen_book() {
	local dir=$1 body=$2
	mkdir -p "$dir"
	awk '/^stage /{print; print "  chapter " ++n; print "  mode    user"; print "  env     PATH=/usr/bin:/bin"}' \
		"$ROOT/book/stages" >"$dir/stages"
	: >"$dir/toc"
	grep -v '^#' "$ROOT/book/toc" | grep . | while read -r id; do
		local f=$ROOT/book/$id.recipe
		[ -f "$f" ] || continue
		echo "$id" >>"$dir/toc"
		mkdir -p "$dir/$(dirname "$id")"
		awk -v body="$body" -v scale="$SCALE" '
			/^%/ { exit }
			$1 == "title" || $1 == "stage" || $1 == "after" || $1 == "exclusive" { print; next }
			$1 == "sbu" { sbu = $2; print; next }
			END {
				print "%build"
				if (body == "sleep") printf "sleep %.3f\n", (sbu ? sbu : 0.1) * scale
				else print "true"
			}' "$f" >"$dir/$id.recipe"
	done
}

secs() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", (b - a) / 1e9 }'; }
run_timed() { # prints seconds
	local t0 t1
	t0=$(date +%s%N)
	"$LFSBUILD" --book "$1" -C "$2" -q build "${@:3}" >/dev/null
	t1=$(date +%s%N)
	secs "$t0" "$t1"
}

gen_book "$T/sleep" sleep
gen_book "$T/noop" noop
n=$(wc -l <"$T/sleep/toc")
sbu_total=$(grep -h '^sbu' "$T"/sleep/ch*/*.recipe | awk '{s += $2} END {printf "%.1f", s}')
# the critical path (longest chain of sbu through the graph): no -j can go below it
crit=$("$LFSBUILD" --book "$T/sleep" graph 2>/dev/null | python3 -c '
import sys, re, glob, os
book, scale = sys.argv[1], float(sys.argv[2])
sbu, best = {}, {}
for f in glob.glob(book + "/ch*/*.recipe"):
    step = os.path.relpath(f, book)[:-7]
    m = re.search(r"^sbu\s+(\S+)", open(f).read(), re.M)
    sbu[step] = float(m.group(1)) if m else 0.1
for line in sys.stdin:
    step, deps = line.rstrip("\n").split("\t")
    best[step] = sbu[step] + max([best[d] for d in deps.split(",") if d] or [0])
print("%.2f" % (max(best.values()) * scale))' "$T/sleep" "$SCALE")

seq_s=$(run_timed "$T/sleep" "$T/w-seq" --sequential -j2)
par_s=$(run_timed "$T/sleep" "$T/w-par" -j2)
noop_s=$(run_timed "$T/noop" "$T/w-noop" --sequential -j1)
per_step_ms=$(awk -v s="$noop_s" -v n="$n" 'BEGIN { printf "%.1f", s * 1000 / n }')
# the steps' own wall times (sandbox set-up, bash, exit): the rest is the engine's
inside_ms=$(awk -v n="$n" '{ s += $3 } END { printf "%.1f", s * 1000 / n }' "$T/w-noop/logs/timings.tsv")
engine_ms=$(awk -v a="$per_step_ms" -v b="$inside_ms" 'BEGIN { printf "%.1f", a - b }')
noop2_s=$(run_timed "$T/noop" "$T/w-noop2" -j2)
per_step2_ms=$(awk -v s="$noop2_s" -v n="$n" 'BEGIN { printf "%.1f", s * 1000 / n }')
uptodate_s=$(run_timed "$T/noop" "$T/w-noop" -j2)
speedup=$(awk -v a="$seq_s" -v b="$par_s" 'BEGIN { printf "%.2f", a / b }')
ideal=$(awk -v s="$sbu_total" -v k="$SCALE" 'BEGIN { printf "%.2f", s * k }')

report=$(cat <<REPORT
Synthetic book with the real book's $n steps (those with a recipe), their stages, \`after\`,
\`exclusive\` and sbu; each step sleeps sbu x $SCALE s (sum of the sleeps: ${ideal} s; the critical path, which
no -j can beat: ${crit} s).
Measured $(date -u +%Y-%m-%d) on $(nproc) CPUs, as $(id -un) (user-mode steps in the sandbox).

| measure | result |
|---|---|
| \`build --sequential\` (sleeping steps) | ${seq_s} s |
| \`build -j2\` (sleeping steps, critical path first) | ${par_s} s (x${speedup}) |
| $n no-op steps, \`--sequential -j1\` | ${noop_s} s = ${per_step_ms} ms per step |
| of which inside the step (sandbox set-up, \`bash\`, exit) | ${inside_ms} ms |
| of which the engine (build dir, log, stamps, run.json, scheduling) | **${engine_ms} ms per step** (goal < 20 ms) |
| $n no-op steps, \`-j2\` | ${noop2_s} s = ${per_step2_ms} ms per step |
| \`build\` with all $n steps up to date | **${uptodate_s} s** (goal < 1 s) |

The engine's part: a fresh build directory (and its removal), the log, two stamps, run.json
twice, timings.tsv. The step's part is mostly the sandbox: namespaces, mounts, a pid 1.
The real book's graph is nearly a chain (stage barriers, exclusive toolchain steps, Appendix C):
-j2 gets close to the critical path; most of a real build's parallelism is inside the steps
(make -jN through the shared jobserver). Reproduce: \`make && bench/engine.sh\`.
REPORT
)
echo "$report"

. "$ROOT/bench/lib.sh"
bench_write engine "$report"
echo "written to docs/BENCHMARKS.md"
