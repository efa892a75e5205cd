# lfsbuild status and report on a fake work directory: run.json, stamps, timings.tsv.
. "$(dirname "$0")/../lib/check.sh"

W=$T/w
now=$(date +%s)
t0=$((now - 300))
mkdir -p "$W/state/stamps/ch5" "$W/logs/ch5"
stamp() { # id result start wall cpu exit
	printf 'step %s\nresult %s\nhash 00\ninput recipe 11\nstart %s\nwall %s\ncpu %s\nmaxrss 1000\nexit %s\n' \
		"$1" "$2" "$3" "$4" "$5" "$6" >"$W/state/stamps/$1.stamp"
}
step() { # id title stage sbu status start wall cpu exit
	printf '{"id":"%s","title":"%s","stage":"%s","sbu_book":%s,"status":"%s","reason":"new","start":%s,"wall":%s,"cpu":%s,"maxrss_kib":%s,"exit":%s,"log":"logs/%s.log"}' \
		"$1" "$2" "$3" "$4" "$5" "$6" "$7" "$8" "$([ "$7" = null ] && echo null || echo 1000)" "$9" "$1"
}
# run.json: binutils done, then gcc running on slot 1 beside linux-headers (done) on slot 2,
# glibc and libstdc++ to do; m4 excluded but built by an earlier run (its stamp has the timing).
write_run() { # state pid
	{
		printf '{"version":1,"pid":%s,"state":"%s","command":"lfsbuild -C %s build -j2","started":%s,"updated":%s,"jobs":2,"sbu":100.0,' \
			"$2" "$1" "$W" "$t0" "$((now - 5))"
		printf '"total":5,"done":2,"skipped":0,"failed":0,"running":1,"steps":[\n'
		step ch5/binutils-pass1 "Binutils-2.44 - Pass 1" cross 1.0 done "$t0" 100.0 150.0 0; echo ,
		step ch5/gcc-pass1 "GCC-14.2.0 - Pass 1" cross 3.2 "$3" "$((t0 + 100))" "$4" "$5" "$6"; echo ,
		step ch5/linux-headers "Linux API Headers" cross 0.1 done "$((t0 + 101))" 50.0 40.0 0; echo ,
		step ch5/glibc "Glibc-2.41" cross 1.5 pending null null null null; echo ,
		step ch5/libstdcxx "Libstdc++" cross 0.2 pending null null null null; echo ,
		step ch6/m4 "M4-1.4.19" temp 0.1 excluded null null null null
		printf '\n]}\n'
	} >"$W/state/run.json"
}
stamp ch5/binutils-pass1 ok "$t0" 100 150 0
stamp ch5/linux-headers ok "$((t0 + 101))" 50 40 0
mkdir -p "$W/state/stamps/ch6"
stamp ch6/m4 ok "$((t0 - 1000))" 20 15 0
printf 'ch5/binutils-pass1\t%s\t100.00\t1.00\t150.00\t1000\tdone\n' "$t0" >"$W/logs/timings.tsv"
printf 'ch5/linux-headers\t%s\t50.00\t0.50\t40.00\t1000\tdone\n' "$((t0 + 101))" >>"$W/logs/timings.tsv"

# A live "lfsbuild" (a process whose command line says so).
bash -c 'exec -a lfsbuild sleep 300' &
live=$!
write_run running "$live" running null null null
out=$("$LFSBUILD" -C "$W" status 2>&1); rc=$?
ok "status of a running build exits 0" test "$rc" = 0
expect_in "status says the build process is alive" "running, lfsbuild pid $live is alive" "$out"
expect_in "status counts steps" "2/5 steps" "$out"
expect_in "status names the running step" "ch5/gcc-pass1" "$out"
ok "status gives the running step's elapsed time" grep -Eq "ch5/gcc-pass1 +3m2[0-9]s of ~5m20s" <<<"$out"
expect_in "status gives an ETA from the measured SBU" "ETA " "$out"
eta_book=$(sed -n 's/.*ETA \([0-9hms]*\) .*/\1/p' <<<"$out")
# the SBU expected from book/timings (sbu_expect) wins over the book's figure
sed -i 's/"sbu_book":3.2,/"sbu_book":3.2,"sbu_expect":8.50,/' "$W/state/run.json"
out=$("$LFSBUILD" -C "$W" status 2>&1)
ok "status: the running step's estimate is the expected SBU (8.5 x 100 s)" grep -Eq "ch5/gcc-pass1 +3m2[0-9]s of ~14m10s +\(8\.5 SBU" <<<"$out"
eta_here=$(sed -n 's/.*ETA \([0-9hms]*\) .*/\1/p' <<<"$out")
ok "and the ETA grows with it ($eta_book, then $eta_here)" test -n "$eta_book" -a -n "$eta_here" -a "$eta_book" != "$eta_here"
write_run running "$live" running null null null
expect_in "status shows the resume command" "command:  lfsbuild -C $W build -j2" "$out"
case "$out" in *"resume with"*) r=1 ;; *) r=0 ;; esac
ok "a live build has no resume advice" test "$r" = 0

"$LFSBUILD" -C "$W" report >"$T/rep" 2>&1; rc=$?
ok "report of a running build exits 0" test "$rc" = 0
ok "trace.json is JSON" python3 -m json.tool "$W/logs/trace.json"
cat >"$T/trace.py" <<'PY'
import json, sys
t = json.load(open(sys.argv[1]))
ev = [e for e in t["traceEvents"] if e["ph"] == "X"]
names = sorted(e["name"] for e in ev)
assert names == ["ch5/binutils-pass1", "ch5/gcc-pass1", "ch5/linux-headers", "ch6/m4"], names
assert all(e["pid"] == 1 and isinstance(e["ts"], int) and e["dur"] > 0 for e in ev)
by = {e["name"]: e for e in ev}
assert by["ch5/gcc-pass1"]["tid"] != by["ch5/linux-headers"]["tid"], "overlapping steps share a lane"
assert by["ch5/binutils-pass1"]["dur"] == 100000000, by["ch5/binutils-pass1"]
assert by["ch5/gcc-pass1"]["args"]["status"] == "running"
assert {e["tid"] for e in ev} == {1, 2}
PY
ok "trace.json has one complete event per step with timings, on 2 lanes" python3 "$T/trace.py" "$W/logs/trace.json"
cat >"$T/svg.py" <<'PY'
import sys, xml.etree.ElementTree as E
ns = "{http://www.w3.org/2000/svg}"
root = E.parse(sys.argv[1]).getroot()
lanes = [g for g in root.iter(ns + "g") if g.get("class") == "lane"]
assert len(lanes) == int(sys.argv[2]), len(lanes)
steps = [g for g in root.iter(ns + "g") if g.get("class") == "step"]
assert len(steps) == int(sys.argv[3]), len(steps)
texts = [t.text for t in root.iter(ns + "text")]
assert sys.argv[4] in texts, texts
assert any(g.get("class") == "axis" for g in root.iter(ns + "g"))
assert any(g.get("class") == "legend" for g in root.iter(ns + "g"))
PY
ok "timeline.svg is XML with one lane per slot and a bar per step" python3 "$T/svg.py" "$W/logs/timeline.svg" 2 4 ch5/gcc-pass1
ok "the idle time before this run is shortened in the SVG" grep -q 'class="gap"' "$W/logs/timeline.svg"
out=$(cat "$T/rep")
expect_in "report prints the CPU utilisation" "CPU use:" "$out"
expect_in "report lists the top steps" "1. ch5/gcc-pass1" "$out"
expect_in "report has per-stage totals" "per stage:" "$out"
expect_in "report names its files" "$W/logs/timeline.svg" "$out"

# The build died (SIGKILL): state still says running, but the pid is gone.
kill "$live"; wait "$live" 2>/dev/null
out=$("$LFSBUILD" -C "$W" status 2>&1); rc=$?
ok "status of a dead build exits 0" test "$rc" = 0
expect_in "a dead pid means interrupted" "interrupted (lfsbuild is not running: pid $live is gone)" "$out"
expect_in "the interrupted running step is named" "ch5/gcc-pass1 (ran at least" "$out"
expect_in "status prints the resume command" "resume with:
  lfsbuild -C $W build -j2" "$out"
case "$out" in *ETA*) r=1 ;; *) r=0 ;; esac
ok "no ETA for a build that is not running" test "$r" = 0

# A failed run: the failure, its log and the resume command.
write_run failed 999999 failed 12.5 30.0 2
out=$("$LFSBUILD" -C "$W" status 2>&1)
expect_in "status of a failed run says so" "run:      failed" "$out"
expect_in "status names the failed step, its exit and log" "ch5/gcc-pass1: exit status 2; log: $W/logs/ch5/gcc-pass1.log" "$out"
expect_in "status says how to resume after fixing" "then resume with:" "$out"
"$LFSBUILD" -C "$W" report >"$T/rep" 2>&1
ok "report marks the failed step in the SVG" grep -q 'stroke="#d62728" stroke-width="2"><title>ch5/gcc-pass1' "$W/logs/timeline.svg"

# No run.json: the stamps and timings.tsv still make a report.
rm "$W/state/run.json"
"$LFSBUILD" -C "$W" report >"$T/rep" 2>&1; rc=$?
ok "report without run.json exits 0" test "$rc" = 0
ok "it covers the stamped steps" python3 "$T/svg.py" "$W/logs/timeline.svg" 1 3 ch5/binutils-pass1
out=$("$LFSBUILD" -C "$W" status 2>&1)
expect_in "status without run.json says where it looked" "no state/run.json" "$out"

# Nothing at all.
"$LFSBUILD" -C "$T/empty" status >"$T/o" 2>"$T/e"; rc=$?
ok "status with no build exits 1" test "$rc" = 1
ok "status with no build says how to start one" grep -q "start a build with: lfsbuild -C $T/empty build" "$T/e"
"$LFSBUILD" -C "$T/empty" report >"$T/o" 2>"$T/e"; rc=$?
ok "report with no build exits 1" test "$rc" = 1
"$LFSBUILD" -C "$W" status extra >"$T/o" 2>"$T/e"; rc=$?
ok "status with an operand is a usage error" test "$rc" = 2
