#!/usr/bin/env bash
# bench/build.sh: the timings of a real build, per step and per chapter, from a work directory's
# stamps (the last successful run of each step), into docs/BENCHMARKS.md.
#   bench/build.sh LABEL WORKDIR [UNTIL]
# LABEL names the section (e.g. "ch5-7-j2", "ch6-sequential"); UNTIL limits the chapters
# (e.g. ch7). The section sits between <!-- bench:build-LABEL:begin/end --> and nothing else
# in the file is touched. The note (how the build was run) comes from $NOTE.
set -euo pipefail
[ $# -ge 2 ] || { echo "usage: bench/build.sh LABEL WORKDIR [UNTIL]" >&2; exit 2; }
label=$1 work=$2 until=${3:-}
cd "$(dirname "$0")/.."
[ -d "$work/state/stamps" ] || { echo "bench/build.sh: no stamps in $work/state/stamps" >&2; exit 1; }
section=$(python3 - "$work" "$until" "$label" "${NOTE:-}" <<'PY'
import os, sys, time
work, until, label, note = sys.argv[1:5]
stamps = os.path.join(work, "state", "stamps")
toc = [l.strip() for l in open("book/toc") if l.strip().startswith("ch")]
if until:
    chs = [int(s[2:].split("/")[0]) for s in toc]
    lim = int(until[2:].split("/")[0]) if until[2:].split("/")[0].isdigit() else 99
    toc = [s for s, c in zip(toc, chs) if c <= lim]
sbu = float(open(os.path.join(work, "state", "sbu")).read().split()[0])
rows = []
for step in toc:
    p = os.path.join(stamps, step + ".stamp")
    if not os.path.exists(p):
        continue
    d = {}
    for line in open(p):
        k, _, v = line.rstrip("\n").partition(" ")
        if k in ("result", "start", "wall", "cpu", "maxrss"):
            d[k] = v
    if d.get("result") != "ok":
        continue
    rows.append((step, float(d["start"]), float(d["wall"]), float(d["cpu"]), int(d["maxrss"])))
cores = os.cpu_count()
out = []
out.append(f"## Build: {label} (bench/build.sh)\n")
when = time.strftime("%Y-%m-%d", time.gmtime(min(r[1] for r in rows))) if rows else "-"
out.append(f"Measured {when} on {cores} cores, {round(os.sysconf('SC_PAGE_SIZE')*os.sysconf('SC_PHYS_PAGES')/2**30)} GiB; 1 SBU = {sbu:.1f} s (ch5/binutils-pass1 here). {note}\n")
out.append("| chapter | steps | wall (first start to last end) | sum of step walls | CPU | CPU / (wall x cores) |")
out.append("|---|---|---|---|---|---|")
chapters = {}
for r in rows:
    chapters.setdefault(r[0].split("/")[0], []).append(r)
tw = tc = 0
for ch, rs in chapters.items():
    span = max(r[1] + r[2] for r in rs) - min(r[1] for r in rs)
    cpu = sum(r[3] for r in rs)
    tw += span; tc += cpu
    out.append(f"| {ch} | {len(rs)} | {span:.0f} s ({span/sbu:.1f} SBU) | {sum(r[2] for r in rs):.0f} s | {cpu:.0f} s | {100*cpu/(span*cores) if span else 0:.0f} % |")
if rows:
    span = max(r[1] + r[2] for r in rows) - min(r[1] for r in rows)
    out.append(f"| all | {len(rows)} | {span:.0f} s ({span/60:.1f} min) | {sum(r[2] for r in rows):.0f} s | {tc:.0f} s | {100*tc/(span*cores):.0f} % |")
out.append("")
out.append("<details><summary>per step</summary>\n")
out.append("| step | wall s | SBU | CPU s | max RSS MiB |")
out.append("|---|---|---|---|---|")
for r in rows:
    out.append(f"| {r[0]} | {r[2]:.1f} | {r[2]/sbu:.2f} | {r[3]:.1f} | {r[4]/1024:.0f} |")
out.append("\n</details>")
print("\n".join(out))
PY
)
echo "$section"
. bench/lib.sh
bench_write "build-$label" "$section"
