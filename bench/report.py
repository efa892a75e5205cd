#!/usr/bin/env python3
"""bench/report.py: the Markdown sections of the build benchmarks, from a work directory's stamps.

Shared by bench/build.sh, bench/all.sh and bench/sched.sh (one subcommand each):
  report.py build LABEL WORKDIR UNTIL NOTE        per chapter and per step (bench/build.sh)
  report.py full WORKDIR [--runs F] [--disk F] [--log F] [--image F] [--doc F]
                                                  the "full build" section (bench/all.sh)
  report.py stages SPEC                           resolve "temp", "ch6", "cross,temp", "ch5-ch7":
                                                  prints the stages, the stage before them (or -),
                                                  then one line per step: STEP <tab> before|in|after
  report.py sched SPEC JOBS SEQ_STAMPS PAR_STAMPS SEQ_WALL PAR_WALL SBU NOTE
                                                  the "scheduler vs sequential" section (bench/sched.sh)
  report.py timings WORKDIR                       book/timings: the SBU of each step built there
The book is $LFSBUILD_BOOK, else book/ of the checkout. Stamps: docs/engine.md ("Stamps").
"""
import json
import os
import re
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BOOK = os.environ.get("LFSBUILD_BOOK") or os.path.join(ROOT, "book")

# The goals the issues set (issue 7; issue 17 lowered the whole build's from 120 to 110 minutes).
GOAL_BUILD_MIN = 110
GOAL_SCHED_RATIO = 0.8
GOAL_CPU_UTIL = 90
GOAL_LOGIN_S = 60
GOAL_IMAGE_GIB = 2


# ---- the book ----

def stages():
    """[(name, chapter)] in order, from BOOK/stages."""
    out = []
    for line in open(os.path.join(BOOK, "stages")):
        w = line.split()
        if len(w) >= 2 and w[0] == "stage":
            out.append([w[1], None])
        elif len(w) >= 2 and w[0] == "chapter" and out:
            out[-1][1] = w[1]
    return [tuple(s) for s in out]


def steps():
    """[(step, stage)] in book order: the toc's lines that have a recipe."""
    chapter_stage = {c: n for n, c in stages()}
    out = []
    for line in open(os.path.join(BOOK, "toc")):
        step = line.strip()
        if not step or step.startswith("#"):
            continue
        recipe = os.path.join(BOOK, step + ".recipe")
        if not os.path.exists(recipe):
            continue
        stage = chapter_stage.get(step.split("/")[0][2:])
        for rl in open(recipe):
            if rl.startswith("%"):
                break
            w = rl.split()
            if len(w) >= 2 and w[0] == "stage":
                stage = w[1]
        out.append((step, stage))
    return out


def resolve_stages(spec):
    """A list of consecutive stage names from "temp", "ch6", "cross,temp" or "ch5-ch7"."""
    names = [n for n, _ in stages()]
    by_ch = {"ch" + c: n for n, c in stages() if c}
    def one(tok):
        if tok in names:
            return names.index(tok)
        if tok in by_ch:
            return names.index(by_ch[tok])
        sys.exit(f"bench: '{tok}' is no stage or chapter of {BOOK}/stages (stages: {' '.join(names)})")
    idx = []
    for part in spec.split(","):
        if "-" in part:
            a, b = part.split("-", 1)
            idx.extend(range(one(a), one(b) + 1))
        else:
            idx.append(one(part))
    idx = sorted(set(idx))
    if idx != list(range(idx[0], idx[-1] + 1)):
        sys.exit(f"bench: the stages of '{spec}' are not consecutive")
    return [names[i] for i in idx], (names[idx[0] - 1] if idx[0] > 0 else None)


# ---- stamps ----

def read_stamp(path):
    d = {}
    try:
        for line in open(path):
            k, _, v = line.rstrip("\n").partition(" ")
            if k == "input" and v.startswith("tests "):
                d["tests"] = v.split()[1]
            elif k in ("result", "start", "wall", "cpu", "maxrss"):
                d[k] = v
            elif k == "phase":  # phase NAME WALL CPU (unpack, build, test, install)
                name, w, c = v.split()
                d.setdefault("phases", {})[name] = (float(w), float(c))
    except FileNotFoundError:
        return None
    return d


def rows(stampdir, only=None):
    """[(step, stage, start, wall, cpu, maxrss_kib, tests)] of the steps whose stamp says ok."""
    out = []
    for step, stage in steps():
        if only is not None and stage not in only:
            continue
        d = read_stamp(os.path.join(stampdir, step + ".stamp"))
        if not d or d.get("result") != "ok":
            continue
        out.append((step, stage, float(d["start"]), float(d["wall"]), float(d["cpu"]),
                    int(d.get("maxrss") or 0), d.get("tests"), d.get("phases", {})))
    return out


def span(rs):
    return max(r[2] + r[3] for r in rs) - min(r[2] for r in rs) if rs else 0.0


def occupancy(rs):
    """(busy, {k: seconds}): the time at least one of the steps rs ran (the union of their
    intervals: no gaps between invocations or sessions) and the seconds with exactly k of them
    running at once."""
    ev = sorted([(r[2], 1) for r in rs] + [(r[2] + r[3], -1) for r in rs])
    by, n, t0 = {}, 0, None
    for t, d in ev:
        if n and t0 is not None:
            by[n] = by.get(n, 0.0) + t - t0
        n, t0 = n + d, t
    return sum(by.values()), by


_graph = None


def graph_deps():
    """{step: [steps it waits for]} from `lfsbuild graph` (the `after` lines, the stage barriers
    and the exclusive steps, reduced), or None when lfsbuild cannot say."""
    global _graph
    if _graph is None:
        exe = os.environ.get("LFSBUILD") or os.path.join(ROOT, "lfsbuild")
        try:
            p = subprocess.run([exe, "--book", BOOK, "graph"], capture_output=True, text=True, timeout=60)
            _graph = {}
            for line in p.stdout.splitlines():
                step, _, deps = line.partition("\t")
                _graph[step] = [d for d in deps.split(",") if d]
            if p.returncode != 0:
                _graph = {}
        except OSError:
            _graph = {}
    return _graph or None


def critical_path(rs):
    """The longest chain of dependent steps among rs, with their walls: no scheduler, however
    many cores, finishes these steps sooner. None without the graph."""
    deps = graph_deps()
    if deps is None:
        return None
    wall = {r[0]: r[3] for r in rs}
    fin = {}
    for step, _ in steps():
        if step in wall:
            fin[step] = max([fin[d] for d in deps.get(step, []) if d in fin] + [0.0]) + wall[step]
    return max(fin.values()) if fin else 0.0


def occupancy_table(groups):
    """Where the cores went: per group (name, rows), the busy time, the CPU over it, the share of
    it with one step running and with two or more, and the critical path of the steps."""
    out = ["| | time with a step running | CPU / (that time x cores) | one step running | two or more | "
           "critical path (at these walls) |",
           "|---|---|---|---|---|---|"]
    for name, rs in groups:
        busy, by = occupancy(rs)
        one, more = by.get(1, 0.0), sum(v for k, v in by.items() if k > 1)
        c = sum(r[4] for r in rs)
        pct = (lambda v: f"{100 * v / busy:.0f} %") if busy else (lambda v: "-")
        cp = critical_path(rs)
        out.append(f"| {name} | {busy:.0f} s ({dur(busy)}) | {util(c, busy):.0f} % | {one:.0f} s ({pct(one)}) | "
                   f"{more:.0f} s ({pct(more)}) | {'-' if cp is None else f'{cp:.0f} s' if cp >= 10 else f'{cp:.1f} s'} |")
    return out


def read_sbu(workdir):
    try:
        return float(open(os.path.join(workdir, "state", "sbu")).read().split()[0])
    except (OSError, ValueError, IndexError):
        return None


# ---- formatting ----

def machine():
    model = "?"
    try:
        for line in open("/proc/cpuinfo"):
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    return f"{os.cpu_count()} cores ({model}), {mem:.0f} GiB"


def day(t):
    return time.strftime("%Y-%m-%d", time.gmtime(t))


def clock(t):
    return time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime(t))


def dur(s):
    s = int(round(s))
    return f"{s // 3600}h{s % 3600 // 60:02d}m{s % 60:02d}s" if s >= 3600 else f"{s // 60}m{s % 60:02d}s"


def sbus(s, sbu):
    return f"{s / sbu:.2f}" if sbu else "-"


def util(cpu, wall):
    return 100 * cpu / (wall * os.cpu_count()) if wall else 0.0


def step_table(rs, sbu):
    out = ["| step | stage | wall s | SBU | CPU s | CPU / (wall x cores) | max RSS MiB |",
           "|---|---|---|---|---|---|---|"]
    for r in rs:
        out.append(f"| {r[0]} | {r[1]} | {r[3]:.1f} | {sbus(r[3], sbu)} | {r[4]:.1f} | "
                   f"{util(r[4], r[3]):.0f} % | {r[5] / 1024:.0f} |")
    return out


PHASES = ("unpack", "build", "test", "install")


def phase_table(rs, top=12):
    """CPU and wall per phase (the runner's marks, docs/watching.md "Phases": unpack, lfsbuild's
    preparation, outside the step's own wall and CPU; then the recipe's %build with its configure,
    %test and %install, which add up to the step's), per stage and for the steps with the most CPU:
    where the next cut is."""
    def cells(sr):
        cpu = [sum(r[7].get(ph, (0, 0))[1] for r in sr) for ph in PHASES]
        wall = [sum(r[7].get(ph, (0, 0))[0] for r in sr) for ph in PHASES]
        total = sum(cpu)
        return " | ".join(f"{c:.0f} s / {w:.0f} s ({100 * c / total:.0f} %)" if total else "-"
                          for c, w in zip(cpu, wall))
    if not any(r[7] for r in rs):
        return ["No phase marks in the stamps (steps built before lfsbuild took them)."]
    head = "| {} | " + " | ".join(f"{ph}: CPU / wall" for ph in PHASES) + " |"
    sep = "|---|" + "---|" * len(PHASES)
    out = [head.format("stage"), sep]
    order = []
    for r in rs:
        if r[1] not in order:
            order.append(r[1])
    for st in order:
        out.append(f"| {st} | " + cells([r for r in rs if r[1] == st]) + " |")
    out.append("| **all** | " + cells(rs) + " |")
    out.append("")
    out.append(f"The {top} steps with the most CPU (a recipe without `%install` installs in `%build`, as "
               "chapters 5 and 6 do):\n")
    out += [head.format("step"), sep]
    for r in sorted(rs, key=lambda r: -r[4])[:top]:
        out.append(f"| {r[0]} ({r[4]:.0f} s CPU, {r[3]:.0f} s wall) | " + cells([r]) + " |")
    return out


def stage_table(rs, sbu):
    out = ["| stage | steps | wall (first start to last end) | sum of step walls | CPU s | CPU / (wall x cores) |",
           "|---|---|---|---|---|---|"]
    order = []
    for r in rs:
        if r[1] not in order:
            order.append(r[1])
    for st in order:
        sr = [r for r in rs if r[1] == st]
        w, c = span(sr), sum(r[4] for r in sr)
        out.append(f"| {st} | {len(sr)} | {w:.0f} s ({dur(w)}, {sbus(w, sbu)} SBU) | "
                   f"{sum(r[3] for r in sr):.0f} s | {c:.0f} | {util(c, w):.0f} % |")
    if rs:
        w, c = span(rs), sum(r[4] for r in rs)
        out.append(f"| **all** | {len(rs)} | {w:.0f} s ({dur(w)}) | {sum(r[3] for r in rs):.0f} s | "
                   f"{c:.0f} | {util(c, w):.0f} % |")
    return out


# ---- bench/build.sh ----

def cmd_build(label, work, until, note):
    stamps = os.path.join(work, "state", "stamps")
    toc = [s for s, _ in steps()]
    if until:
        lim = until[2:].split("/")[0]
        lim = int(lim) if lim.isdigit() else 99
        toc = [s for s in toc if int(s[2:].split("/")[0]) <= lim]
    sbu = read_sbu(work)
    rs = [r for r in rows(stamps) if r[0] in toc]
    cores = os.cpu_count()
    out = [f"## Build: {label} (bench/build.sh)\n"]
    when = day(min(r[2] for r in rs)) if rs else "-"
    sbu_text = f"1 SBU = {sbu:.1f} s (ch5/binutils-pass1 here)" if sbu else "no SBU measured"
    out.append(f"Measured {when} on {cores} cores, "
               f"{round(os.sysconf('SC_PAGE_SIZE') * os.sysconf('SC_PHYS_PAGES') / 2**30)} GiB; {sbu_text}. {note}\n")
    out.append("| chapter | steps | wall (first start to last end) | sum of step walls | CPU | CPU / (wall x cores) |")
    out.append("|---|---|---|---|---|---|")
    chapters = {}
    for r in rs:
        chapters.setdefault(r[0].split("/")[0], []).append(r)
    tc = 0
    for ch, cr in chapters.items():
        w, c = span(cr), sum(r[4] for r in cr)
        tc += c
        out.append(f"| {ch} | {len(cr)} | {w:.0f} s ({f'{w / sbu:.1f}' if sbu else '-'} SBU) | "
                   f"{sum(r[3] for r in cr):.0f} s | {c:.0f} s | {util(c, w):.0f} % |")
    if rs:
        w = span(rs)
        out.append(f"| all | {len(rs)} | {w:.0f} s ({w / 60:.1f} min) | {sum(r[3] for r in rs):.0f} s | "
                   f"{tc:.0f} s | {util(tc, w):.0f} % |")
    out.append("")
    out.append("<details><summary>per step</summary>\n")
    out.append("| step | wall s | SBU | CPU s | max RSS MiB |")
    out.append("|---|---|---|---|---|")
    for r in rs:
        out.append(f"| {r[0]} | {r[3]:.1f} | {sbus(r[3], sbu)} | {r[4]:.1f} | {r[5] / 1024:.0f} |")
    out.append("\n</details>")
    print("\n".join(out))


# ---- bench/all.sh ----

def read_runs(path, rs):
    """[(start, end, exit, args)] of the invocations of bench/all.sh ("begin T ARGS" / "end T RC" lines).
    An invocation without its end line (killed) ends at its last step's end, if any."""
    runs = []
    if not path or not os.path.exists(path):
        return runs
    for line in open(path):
        w = line.rstrip("\n").split("\t")
        if w[0] == "begin" and len(w) >= 2:
            runs.append([float(w[1]), None, None, w[2] if len(w) > 2 else ""])
        elif w[0] == "end" and len(w) >= 3 and runs and runs[-1][1] is None:
            runs[-1][1], runs[-1][2] = float(w[1]), w[2]
    for i, r in enumerate(runs):
        if r[1] is None:
            nxt = runs[i + 1][0] if i + 1 < len(runs) else float("inf")
            ends = [x[2] + x[3] for x in rs if r[0] <= x[2] + x[3] <= nxt]
            r[1], r[2] = (max(ends) if ends else r[0]), "killed"
    return runs


def read_disk(path):
    """[(epoch, KiB)] samples of `du -sxk WORKDIR`."""
    out = []
    if path and os.path.exists(path):
        for line in open(path):
            w = line.split()
            if len(w) == 2 and w[1].isdigit():
                out.append((float(w[0]), int(w[1])))
    return out


def read_log(path):
    """From the timestamped output of `lfsbuild all`: the times of the phase lines, the login line."""
    phases, login = {}, None
    if path and os.path.exists(path):
        for line in open(path, errors="replace"):
            t, _, text = line.rstrip("\n").partition(" ")
            m = re.search(r"lfsbuild all: \[(\d+)/\d+\] .*\(lfsbuild ([a-z-]+)\)", text)
            if m:
                phases[m.group(2)] = float(t.replace(",", "."))
            m = re.search(r"boot-test: login prompt after ([0-9.]+) s", text)
            if m:
                login = float(m.group(1))
    return phases, login


def login_from_transcript(path):
    """The line cmd_test.c notes in logs/boot-test.log: "# lfsbuild: login prompt after X s"."""
    try:
        text = open(path, errors="replace").read()
    except OSError:
        return None
    m = re.findall(r"# lfsbuild: login prompt after ([0-9.]+) s", text)
    return float(m[-1]) if m else None


def image_size(path):
    """(KiB on disk, virtual size text, actual-size bytes from qemu-img) or None."""
    if not os.path.exists(path):
        return None
    du = int(subprocess.run(["du", "-k", path], capture_output=True, text=True).stdout.split()[0])
    virt = actual = None
    try:
        info = json.loads(subprocess.run(["qemu-img", "info", "--output=json", "-U", path],
                                         capture_output=True, text=True).stdout)
        virt, actual = info.get("virtual-size"), info.get("actual-size")
    except (OSError, ValueError):
        pass
    return du, virt, actual


def sched_ratios(doc):
    """{label: (ratio, jobs)} from the scheduler sections bench/sched.sh wrote into the doc."""
    out = {}
    if doc and os.path.exists(doc):
        for m in re.finditer(r"<!-- bench-data sched (\S+) ratio=([0-9.]+) jobs=(\d+) -->", open(doc).read()):
            out[m.group(1)] = (float(m.group(2)), int(m.group(3)))
    return out


# The whole build before issue 17's work, as the issue measured it: a fresh clone, the README's
# commands, one `lfsbuild all` (its first row of the before/after table until the doc has rows).
WHOLE_BEFORE = {"key": "issue-17", "when": "before issue 17 (2026-11)",
                "how": "fresh clone, `make deps && make && ./lfsbuild all`, one invocation",
                "code": "main before issue 17", "sbu": 89.9, "min": 141.0, "steps": "133 of 133",
                "cpu": 14940.0}


def whole_rows(doc):
    """The whole-build rows the doc keeps (<!-- bench-data whole {json} --> lines), oldest first."""
    out = []
    if doc and os.path.exists(doc):
        for m in re.finditer(r"<!-- bench-data whole (\{.*?\}) -->", open(doc).read()):
            try:
                out.append(json.loads(m.group(1)))
            except ValueError:
                pass
    return out or [WHOLE_BEFORE]


def whole_table(rows):
    """The before/after table: a `| whole build | ... | N min |` row per whole build measured."""
    out = [f"<!-- bench-data whole {json.dumps(r, sort_keys=True)} -->" for r in rows]
    out.append("")
    out.append("| | when | code | how | steps | CPU of the steps | 1 SBU | wall in SBU | wall |")
    out.append("|---|---|---|---|---|---|---|---|---|")
    for r in rows:
        sbu = r.get("sbu")
        insbu = f"{r['min'] * 60 / sbu:.0f} SBU" if sbu else "-"
        cpu = f"{r['cpu']:.0f} s ({dur(r['cpu'])})" if r.get("cpu") is not None else "-"
        out.append(f"| whole build | {r['when']} | {r['code']} | {r['how']} | {r['steps']} | {cpu} | "
                   f"{f'{sbu:.1f} s' if sbu else '-'} | {insbu} | {r['min']:.0f} min |")
    return out


def cmd_full(work, runs_path, disk_path, log_path, image, doc):
    stamps = os.path.join(work, "state", "stamps")
    sbu = read_sbu(work)
    rs = rows(stamps)
    if not rs:
        sys.exit(f"bench: no successful step in {stamps}")
    first, last = min(r[2] for r in rs), max(r[2] + r[3] for r in rs)
    total, cpu = last - first, sum(r[4] for r in rs)
    allsteps = steps()
    runs = read_runs(runs_path, rs)
    disk = read_disk(disk_path)
    phases, login = read_log(log_path)
    login_src = "the output of `lfsbuild all`"
    tl = login_from_transcript(os.path.join(work, "logs", "boot-test.log"))
    if tl is not None:
        login, login_src = tl, "logs/boot-test.log"
    img = image_size(image)
    tests = sorted({r[6] for r in rs if r[6]})
    kern = [r for r in rs if r[0].endswith("/kernel")]

    out = ["## Full build (bench/all.sh)\n"]
    out.append(f"Machine: {machine()}. Build {clock(first)} to {clock(last)}; report written {day(time.time())}.")
    out.append(f"Work directory {work}; {len(rs)} of {len(allsteps)} steps of the book built (stamps `ok`); "
               f"test suites: {', '.join(tests) if tests else 'no step with tests'}"
               f"{' (skipped, as asked)' if tests == ['off'] else ''}. "
               + (f"1 SBU = {sbu:.1f} s (wall of ch5/binutils-pass1 here)." if sbu else "No SBU measured."))
    out.append("")
    out.append("| figure | measured |")
    out.append("|---|---|")
    out.append(f"| build: first step's start to last step's end | {total:.0f} s ({dur(total)}) |")
    walls = sum(r[3] for r in rs)
    out.append(f"| build: sum of the steps' walls (without the gaps between steps or invocations) | "
               f"{walls:.0f} s ({dur(walls)}) |")
    if runs:
        s = sum(r[1] - r[0] for r in runs)
        desc = "; ".join(f"{clock(r[0])} +{dur(r[1] - r[0])} exit {r[2]}" for r in runs)
        out.append(f"| `lfsbuild all`, sum of {len(runs)} invocation(s) (check-host, fetch, build, image, test) | "
                   f"{s:.0f} s ({dur(s)}): {desc} |")
    else:
        out.append("| `lfsbuild all` invocations | not recorded (the build was not run through bench/all.sh) |")
    out.append(f"| CPU time of the steps / (wall x {os.cpu_count()} cores) | {cpu:.0f} s / ({total:.0f} s x "
               f"{os.cpu_count()}) = {util(cpu, total):.0f} % |")
    busy, _ = occupancy(rs)
    out.append(f"| the same over the time at least one step ran (without the gaps between invocations) | "
               f"{cpu:.0f} s / ({busy:.0f} s x {os.cpu_count()}) = {util(cpu, busy):.0f} % |")
    if disk:
        t, k = max(disk, key=lambda x: x[1])
        cover = ""
        if disk[0][0] > first + 600 or disk[-1][0] < last - 600:
            cover = f" from {clock(disk[0][0])} to {clock(disk[-1][0])}, not the whole build"
        out.append(f"| peak disk use of the work directory (`du -sxk` every {disk_interval(disk)}, "
                   f"{len(disk)} samples{cover}) | {k / 2**20:.2f} GiB ({k // 1024} MiB) at {clock(t)} |")
    else:
        now = subprocess.run(["nice", "-n", "19", "du", "-sxk", work], capture_output=True, text=True).stdout.split()
        now = f"; now {int(now[0]) / 2**20:.2f} GiB" if now and now[0].isdigit() else ""
        out.append(f"| peak disk use of the work directory | not sampled (the build was not run through "
                   f"bench/all.sh){now} |")
    if kern:
        k = kern[-1]
        out.append(f"| kernel build ({k[0]}) | {k[3]:.0f} s ({dur(k[3])}, {sbus(k[3], sbu)} SBU), CPU {k[4]:.0f} s |")
    else:
        out.append("| kernel build | no kernel step built |")
    if "image" in phases and "test" in phases:
        out.append(f"| `lfsbuild image` (phase of `lfsbuild all`) | {phases['test'] - phases['image']:.0f} s |")
    if img:
        du, virt, actual = img
        v = f"{virt / 2**30:.0f} GiB virtual, " if virt else ""
        a = f", qemu-img actual-size {actual / 2**20:.0f} MiB" if actual else ""
        out.append(f"| image {image} on disk | {v}{du / 1024:.0f} MiB (du){a} |")
    else:
        out.append(f"| image on disk | no image at {image} |")
    if login is not None:
        out.append(f"| QEMU start to the login prompt (`lfsbuild test`, TCG) | {login:.1f} s (from {login_src}) |")
    else:
        out.append("| QEMU start to the login prompt | not recorded (no `lfsbuild test` run seen) |")
    out.append("")

    out.append("Per stage:\n")
    out += stage_table(rs, sbu)
    out.append("")
    out.append("Where the cores went: the time steps ran (the union of their intervals), the CPU over it, "
               "how much of it had one step running (the rest of the cores idle unless that step's make "
               "ran in parallel) or two or more, and the critical path: the longest chain of steps that "
               "wait for each other (`lfsbuild graph`), at the walls measured, which no scheduler can "
               "beat:\n")
    order = []
    for r in rs:
        if r[1] not in order:
            order.append(r[1])
    out += occupancy_table([(st, [r for r in rs if r[1] == st]) for st in order] + [("**all**", rs)])
    out.append("")

    out.append("CPU per phase (CPU / wall, and its share of the CPU of the phases):\n")
    out += phase_table(rs)
    out.append("")

    ratios = sched_ratios(doc)
    goals = ["| goal | target | measured | met? |", "|---|---|---|---|"]
    def g(name, target, measured, ok):
        goals.append(f"| {name} | {target} | {measured} | {'-' if ok is None else ('yes' if ok else '**no**')} |")
    whole = total / 60
    if runs:
        whole = sum(r[1] - r[0] for r in runs) / 60
    g("whole build", f"< {GOAL_BUILD_MIN} min",
      f"{whole:.0f} min" + ("" if runs else f" (first step's start to last step's end; {busy / 60:.0f} min "
                                            f"with a step running)"),
      whole < GOAL_BUILD_MIN if len(rs) == len(allsteps) else None)
    if ratios:
        for lab, (ratio, jobs) in sorted(ratios.items()):
            g(f"scheduler vs --sequential, {lab}, -j{jobs}", f"<= {GOAL_SCHED_RATIO} x", f"{ratio:.2f} x",
              ratio <= GOAL_SCHED_RATIO)
    else:
        g("scheduler vs --sequential", f"<= {GOAL_SCHED_RATIO} x", "not measured (bench/sched.sh)", None)
    g("CPU utilisation over the build", f">= {GOAL_CPU_UTIL} %",
      f"{util(cpu, total):.0f} % ({util(cpu, busy):.0f} % over the time steps ran)",
      util(cpu, total) >= GOAL_CPU_UTIL)
    g("QEMU start to login prompt (TCG)", f"< {GOAL_LOGIN_S} s", f"{login:.1f} s" if login is not None else "-",
      login < GOAL_LOGIN_S if login is not None else None)
    g("image on disk", f"< {GOAL_IMAGE_GIB} GiB", f"{img[0] / 2**20:.2f} GiB" if img else "-",
      img[0] / 2**20 < GOAL_IMAGE_GIB if img else None)
    if runs:
        key = f"{work}@{first:.0f}"
        hist = [r for r in whole_rows(doc) if r.get("key") != key]
        hist.append({"key": key, "when": day(first), "code": os.environ.get("BENCH_CODE") or code_id(),
                     "how": f"bench/all.sh, sum of {len(runs)} invocation(s) of `lfsbuild all`",
                     "sbu": round(sbu, 1) if sbu else None, "min": round(whole, 1),
                     "steps": f"{len(rs)} of {len(allsteps)}", "cpu": round(cpu)})
        out.append("Whole build before and after (issue 17: `lfsbuild all`, check-host to a passing test, "
                   "from an empty work directory; the wall in SBU compares machines of other speeds; "
                   "earlier rows are kept from the doc):\n")
        out += whole_table(hist)
        out.append("")
    out.append("Goals (issues 7 and 17; `-` = not measured or the build is incomplete):\n")
    out += goals
    out.append("")
    out.append("<details><summary>per step</summary>\n")
    out += step_table(rs, sbu)
    out.append("\n</details>")
    print("\n".join(out))


def code_id():
    """The checkout's commit (what bench/all.sh ran, when it ran the build itself)."""
    r = subprocess.run(["git", "-C", ROOT, "describe", "--always", "--dirty"], capture_output=True, text=True)
    return r.stdout.strip() or "-"


def disk_interval(disk):
    if len(disk) < 2:
        return "60 s"
    gaps = sorted(b[0] - a[0] for a, b in zip(disk, disk[1:]))
    return f"{gaps[len(gaps) // 2]:.3g} s"


# ---- bench/sched.sh ----

def cmd_stages(spec):
    names, prev = resolve_stages(spec)
    print(" ".join(names))
    print(prev or "-")
    for step, stage in steps():
        where = "in" if stage in names else ("before" if stages_index(stage) < stages_index(names[0]) else "after")
        print(f"{step}\t{where}")


def stages_index(name):
    return [n for n, _ in stages()].index(name)


def cmd_sched(spec, jobs, seq_dir, par_dir, seq_wall, par_wall, sbu, note):
    names, prev = resolve_stages(spec)
    sbu = float(sbu) if sbu not in ("", "-") else None
    seq, par = rows(seq_dir, names), rows(par_dir, names)
    seq_wall, par_wall = float(seq_wall), float(par_wall)
    ratio = par_wall / seq_wall if seq_wall else 0
    label = ",".join(names)
    out = [f"## Scheduler vs --sequential: {label} (bench/sched.sh)\n"]
    out.append(f"<!-- bench-data sched {label} ratio={ratio:.3f} jobs={jobs} -->")
    out.append(f"Machine: {machine()}; {day(time.time())}. The {len(seq)} steps of stage(s) {label} "
               f"(root restored from the snapshot of {prev or 'nothing: an empty root'}), run twice in a scratch "
               f"work directory with -j{jobs}: `--sequential`, then the scheduler. "
               + (f"1 SBU = {sbu:.1f} s. " if sbu else "") + note + "\n")
    out.append("| run | `lfsbuild build` wall | steps' first start to last end | sum of step walls | CPU s | "
               "CPU / (wall x cores) |")
    out.append("|---|---|---|---|---|---|")
    for name, w, r in (("--sequential", seq_wall, seq), (f"scheduler -j{jobs}", par_wall, par)):
        c = sum(x[4] for x in r)
        out.append(f"| {name} | {w:.1f} s ({dur(w)}) | {span(r):.1f} s | {sum(x[3] for x in r):.1f} s | {c:.0f} | "
                   f"{util(c, w):.0f} % |")
    ok = ratio <= GOAL_SCHED_RATIO
    out.append(f"\nScheduler / sequential: **{ratio:.2f}** (goal <= {GOAL_SCHED_RATIO}: {'met' if ok else 'not met'}).\n")
    out.append("Where the cores went (the time steps ran, the CPU over it, one step running or more, and "
               "the longest chain of steps that wait for each other, at the walls of that run):\n")
    groups = []
    for name, r in (("--sequential", seq), (f"scheduler -j{jobs}", par)):
        groups.append((name, r))
        if len(names) > 1:
            groups += [(f"{name}, {st}", [x for x in r if x[1] == st]) for st in names]
    out += occupancy_table(groups)
    out.append("")
    if len(names) > 1:
        out.append("Per stage (first start to last end):\n")
        out.append("| stage | --sequential | scheduler | ratio |")
        out.append("|---|---|---|---|")
        for st in names:
            a, b = span([x for x in seq if x[1] == st]), span([x for x in par if x[1] == st])
            out.append(f"| {st} | {a:.1f} s | {b:.1f} s | {b / a if a else 0:.2f} |")
        out.append("")
    out.append("<details><summary>per step</summary>\n")
    out.append("| step | stage | sequential wall s | SBU | CPU s | scheduler wall s | SBU | CPU s |")
    out.append("|---|---|---|---|---|---|---|---|")
    pd = {x[0]: x for x in par}
    for x in seq:
        y = pd.get(x[0])
        ys = f"{y[3]:.1f} | {sbus(y[3], sbu)} | {y[4]:.1f}" if y else "- | - | -"
        out.append(f"| {x[0]} | {x[1]} | {x[3]:.1f} | {sbus(x[3], sbu)} | {x[4]:.1f} | {ys} |")
    out.append("\n</details>")
    print("\n".join(out))


def cmd_timings(work):
    """book/timings from a work directory's stamps: the SBU each step took there (test suites
    off only), which the ETA prefers to the book's figures (docs/recipes.md, "Timings")."""
    sbu = read_sbu(work)
    if not sbu:
        sys.exit(f"bench: no SBU measured in {work} (state/sbu): build ch5/binutils-pass1 there first")
    rs = [r for r in rows(os.path.join(work, "state", "stamps")) if r[6] in (None, "off")]
    if not rs:
        sys.exit(f"bench: no step built without test suites in {work}")
    print(f"# The SBU each step took on the reference machine, without test suites: {machine()}, "
          f"-j{os.cpu_count()},\n# 1 SBU = {sbu:.1f} s, build of {day(min(r[2] for r in rs))}. "
          f"Written by `bench/report.py timings WORKDIR`; read by the ETA\n# (docs/recipes.md, "
          f"\"Timings\"). Format: STEP SBU.")
    for r in rs:
        print(f"{r[0]} {max(r[3] / sbu, 0.01):.2f}")


def main(argv):
    if len(argv) < 2:
        sys.exit(__doc__)
    cmd, args = argv[1], argv[2:]
    if cmd == "build" and len(args) == 4:
        cmd_build(*args)
    elif cmd == "full" and args:
        opts = {"--runs": None, "--disk": None, "--log": None, "--image": None, "--doc": None}
        work, rest = args[0], args[1:]
        while rest:
            if rest[0] not in opts or len(rest) < 2:
                sys.exit(__doc__)
            opts[rest[0]], rest = rest[1], rest[2:]
        cmd_full(work, opts["--runs"], opts["--disk"], opts["--log"],
                 opts["--image"] or os.path.join(work, "lfs.qcow2"), opts["--doc"])
    elif cmd == "stages" and len(args) == 1:
        cmd_stages(args[0])
    elif cmd == "timings" and len(args) == 1:
        cmd_timings(args[0])
    elif cmd == "sched" and len(args) == 8:
        cmd_sched(*args)
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main(sys.argv)
