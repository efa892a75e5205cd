#!/usr/bin/env python3
"""bench/capture.py: what capture (--capture on) cost a real build, per chapter, from its files.

  capture.py CAPTURED [PLAIN] [--out FILE] [--only REGEX]

CAPTURED is a work directory built with --capture on; PLAIN (optional) one built without it from
the same book, so that the same step has the same input hash in both. Per chapter:
  - the steps' wall time in CAPTURED (their stamps' "wall": the step's own process, from the
    first phase to its end; it includes the overlay's cost on the step's own writes);
  - what lfsbuild spent after each step on its file list, package archive and merge: the line
    "lfsbuild: capture: ... in X s" of the step's log (lfsbuild since 2026-12-05); for a build made
    before that line, FILE (the output of that build, `lfsbuild all > FILE`) gives it as the time
    between the step's end (its start, unpack phase and wall) and its "done" line (to the second);
  - with PLAIN: the same steps' wall there, and the difference: of the walls alone, and of the
    walls with the post-step work added (what capture costs those steps in all);
  - with PLAIN, a second table: per chapter, the time at least one of those steps ran (the union
    of their intervals: start to end in PLAIN, start to end plus the post-step work in CAPTURED),
    which is what the build's wall is made of when steps run side by side; and the CPU of those
    steps in both (the same work: where it differs as much as the walls, the machine's speed
    differed between the two builds, not the work).
--only REGEX keeps the steps whose id matches (e.g. '^ch8/': a scratch work directory that
holds the stamps of earlier chapters copied from elsewhere).
Prints a Markdown section. Step times of two builds are comparable only when both machines were
equally quiet: the section says so; the post-step cost is measured inside one build.
"""
import datetime
import glob
import os
import re
import sys


def stamps(work):
    out = {}
    for p in glob.glob(os.path.join(work, "state/stamps/*/*.stamp")):
        s = {}
        for line in open(p, errors="replace"):
            k, _, v = line.rstrip("\n").partition(" ")
            if k in ("step", "result", "hash", "start", "wall", "cpu"):
                s[k] = v
            elif k == "phase" and v.startswith("unpack "):
                s["unpack"] = v.split()[1]
        if s.get("result") == "ok" and "wall" in s:
            out[s["step"]] = s
    return out


def logged_cost(work, step):
    try:
        for line in open(os.path.join(work, "logs", step + ".log"), errors="replace"):
            m = re.match(r"lfsbuild: capture: .* in ([0-9.]+)s$", line.rstrip("\n"))
            if m:
                return float(m.group(1))
    except OSError:
        pass
    return None


def done_times(outfile, st):
    """step -> the epoch of its "[HH:MM:SS] done STEP" line, the date taken from its stamp."""
    out = {}
    if not outfile:
        return out
    for line in open(outfile, errors="replace"):
        m = re.match(r"\[(\d\d):(\d\d):(\d\d)\] done  (\S+)", line)
        if not m or m.group(4) not in st:
            continue
        step = m.group(4)
        end = float(st[step]["start"]) + float(st[step]["wall"])
        day = datetime.datetime.fromtimestamp(end).replace(hour=int(m.group(1)), minute=int(m.group(2)),
                                                            second=int(m.group(3)), microsecond=0)
        t = day.timestamp()
        while t < end - 43200:
            t += 86400
        out[step] = t
    return out


def union(intervals):
    """The length of the union of [a, b) intervals."""
    total, end = 0.0, None
    for a, b in sorted(intervals):
        if end is None or a > end:
            total += b - a
            end = b
        elif b > end:
            total += b - end
            end = b
    return total


def option(argv, name):
    if name not in argv:
        return None
    i = argv.index(name)
    if i + 1 >= len(argv):
        return None
    v = argv[i + 1]
    del argv[i:i + 2]
    return v


def main(argv):
    outfile = option(argv, "--out")
    only = option(argv, "--only")
    if not argv or len(argv) > 2 or any(a.startswith("--") for a in argv):
        print(__doc__, file=sys.stderr)
        return 2
    keep = re.compile(only) if only else None
    cap = {k: v for k, v in stamps(argv[0]).items() if not keep or keep.search(k)}
    plain = stamps(argv[1]) if len(argv) > 1 else {}
    done = done_times(outfile, cap)
    rows = {}
    spans = {}   # chapter -> the intervals and CPU of the steps in both builds
    how = set()
    for step, s in cap.items():
        ch = step.split("/")[0]
        cost = logged_cost(argv[0], step)
        if cost is not None:
            how.add("log")
        elif step in done:
            cost = max(0.0, done[step] - (float(s["start"]) + float(s.get("unpack", 0)) + float(s["wall"])))
            how.add("output")
        r = rows.setdefault(ch, {"n": 0, "wall": 0.0, "cost": 0.0, "nc": 0, "pw": 0.0, "cw": 0.0, "np": 0,
                                 "pc": 0.0})
        r["n"] += 1
        r["wall"] += float(s["wall"])
        if cost is not None:
            r["cost"] += cost
            r["nc"] += 1
        p = plain.get(step)
        if p and p.get("hash") == s.get("hash"):
            r["np"] += 1
            r["pw"] += float(p["wall"])
            r["cw"] += float(s["wall"])
            r["pc"] += cost or 0.0
            cs, ps = float(s["start"]), float(p["start"])
            sp = spans.setdefault(ch, {"cap": [], "plain": [], "cap_cpu": 0.0, "plain_cpu": 0.0})
            sp["cap"].append((cs, cs + float(s.get("unpack", 0)) + float(s["wall"]) + (cost or 0.0)))
            sp["plain"].append((ps, ps + float(p.get("unpack", 0)) + float(p["wall"])))
            sp["cap_cpu"] += float(s.get("cpu", 0))
            sp["plain_cpu"] += float(p.get("cpu", 0))
    print("| chapter | steps | steps' wall (captured) | after the steps: list, archive, merge | share | same steps without capture | their wall with capture | difference | with the post-step work |")
    print("|---|---|---|---|---|---|---|---|---|")
    tot = {"n": 0, "wall": 0.0, "cost": 0.0, "pw": 0.0, "cw": 0.0, "np": 0, "pc": 0.0}
    for ch in sorted(rows, key=lambda c: int(re.sub(r"\D", "", c) or 0)):
        r = rows[ch]
        for k in tot:
            tot[k] += r[k]
        share = f"{100 * r['cost'] / r['wall']:.1f} %" if r["wall"] and r["nc"] else "-"
        diff = f"{100 * (r['cw'] - r['pw']) / r['pw']:+.1f} %" if r["pw"] else "-"
        full = f"{100 * (r['cw'] + r['pc'] - r['pw']) / r['pw']:+.1f} %" if r["pw"] else "-"
        print(f"| {ch} | {r['n']} | {r['wall'] / 60:.1f} min | {r['cost'] / 60:.1f} min ({r['nc']} steps) | {share} | "
              f"{r['np']} steps, {r['pw'] / 60:.1f} min | {r['cw'] / 60:.1f} min | {diff} | {full} |")
    share = f"{100 * tot['cost'] / tot['wall']:.1f} %" if tot["wall"] else "-"
    diff = f"{100 * (tot['cw'] - tot['pw']) / tot['pw']:+.1f} %" if tot["pw"] else "-"
    full = f"{100 * (tot['cw'] + tot['pc'] - tot['pw']) / tot['pw']:+.1f} %" if tot["pw"] else "-"
    print(f"| all | {tot['n']} | {tot['wall'] / 60:.1f} min | {tot['cost'] / 60:.1f} min | {share} | {tot['np']} steps, "
          f"{tot['pw'] / 60:.1f} min | {tot['cw'] / 60:.1f} min | {diff} | {full} |")
    if spans:
        print()
        print("| chapter | time with a step running, without capture | with capture (and its post-step work) | difference "
              "| the steps' CPU without capture | with | difference |")
        print("|---|---|---|---|---|---|---|")
        for ch in sorted(spans, key=lambda c: int(re.sub(r"\D", "", c) or 0)):
            sp = spans[ch]
            c, p = union(sp["cap"]), union(sp["plain"])
            d = f"{100 * (c - p) / p:+.1f} %" if p else "-"
            cc, pc = sp["cap_cpu"], sp["plain_cpu"]
            dc = f"{100 * (cc - pc) / pc:+.1f} %" if pc else "-"
            print(f"| {ch} | {p / 60:.1f} min | {c / 60:.1f} min | {d} | {pc:.0f} s | {cc:.0f} s | {dc} |")
    src = {"log": "the steps' logs", "output": "the build's output (its done line minus the step's start, unpack and wall; to the second)"}
    print()
    print(f"Post-step cost from {', '.join(src[h] for h in sorted(how)) or 'nowhere (no log line, no --out)'}. "
          "Step walls of two builds compare only when both ran on an equally quiet machine.")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
