# `lfsbuild status` and `report` (its summary, logs/trace.json, logs/timeline.svg) on fixed
# work directories, compared byte for byte with tests/report/golden/: the files the program
# wrote before its JSON went through jansson and report.c was split. Nothing here depends on
# the clock but the "(... ago)" of status, which is cut out; TZ is fixed.
#   GOLDEN_WRITE=1 bash tests/report/identical.sh   writes the golden files instead.
. "$(dirname "$0")/../lib/check.sh"

export TZ=UTC
G=$ROOT/tests/report/golden
T0=1764000000
mkdir -p "$G"

stamp() { # workdir id result start wall cpu maxrss exit
	mkdir -p "$(dirname "$1/state/stamps/$2")"
	printf 'step %s\nresult %s\nhash 00\ninput recipe 11\nstart %s\nwall %s\ncpu %s\nmaxrss %s\nexit %s\n' \
		"$2" "$3" "$4" "$5" "$6" "$7" "$8" >"$1/state/stamps/$2.stamp"
}

# failed: -j2, three stages, lanes, a failed and an interrupted step, titles that need escaping
# in JSON and in XML (one written with \u and \/ escapes), a step up to date from a run a day
# earlier (its timing from its stamp: the gap before this run is shortened in the SVG), one
# excluded but stamped, blocked and pending ones, and the test suites' summary.
make_failed() {
	local w=$1
	mkdir -p "$w/state" "$w/logs/tests"
	cat >"$w/state/run.json" <<EOF
{"version":1,"pid":99999999,"state":"failed","command":"lfsbuild -C /w build -j2","started":$T0.250,"updated":$((T0 + 420)).125,"jobs":2,"sbu":86.100,"total":10,"done":3,"skipped":1,"failed":2,"running":0,"steps":[
{"id":"ch4/prep-dirs","title":"Creating a limited directory layout","stage":"prep","sbu_book":0.10,"sbu_expect":0.10,"status":"skipped","reason":"up to date","start":null,"wall":null,"cpu":null,"maxrss_kib":null,"exit":null,"log":"logs/ch4/prep-dirs.log"},
{"id":"ch5/binutils-pass1","title":"Binutils-2.44 - Pass 1","stage":"cross","sbu_book":1.00,"sbu_expect":1.00,"status":"done","reason":"new","start":$T0.250,"wall":86.100,"cpu":150.300,"maxrss_kib":123456,"exit":0,"log":"logs/ch5/binutils-pass1.log"},
{"id":"ch5/gcc-pass1","title":"GCC \"pass 1\" <c&c++> \\\\ back","stage":"cross","sbu_book":3.20,"sbu_expect":8.56,"status":"done","reason":"recipe changed","start":$((T0 + 86)).400,"wall":300.555,"cpu":590.250,"maxrss_kib":987654,"exit":0,"log":"logs/ch5/gcc-pass1.log"},
{"id":"ch5/linux-headers","title":"Linux-6.13.4 API Headers","stage":"cross","sbu_book":0.10,"sbu_expect":0.12,"status":"done","reason":"new","start":$((T0 + 86)).500,"wall":12.000,"cpu":10.000,"maxrss_kib":4321,"exit":0,"log":"logs/ch5/linux-headers.log"},
{"id":"ch5/glibc","title":"Glibc-2.41 caf\u00e9 \/ na\u00efve","stage":"cross","sbu_book":1.50,"sbu_expect":1.40,"status":"failed","reason":"new","start":$((T0 + 100)).000,"wall":45.678,"cpu":40.100,"maxrss_kib":55555,"exit":2,"log":"logs/ch5/glibc.log"},
{"id":"ch5/libstdcxx","title":"Libstdc++ from GCC-14.2.0","stage":"cross","sbu_book":0.20,"sbu_expect":0.25,"status":"interrupted","reason":"new","start":$((T0 + 150)).000,"wall":20.000,"cpu":18.000,"maxrss_kib":777,"exit":130,"log":"logs/ch5/libstdcxx.log"},
{"id":"ch6/m4","title":"M4-1.4.19","stage":"temp","sbu_book":0.10,"sbu_expect":0.10,"status":"blocked","reason":"new","start":null,"wall":null,"cpu":null,"maxrss_kib":null,"exit":null,"log":"logs/ch6/m4.log"},
{"id":"ch6/ncurses","title":"Ncurses-6.5","stage":"temp","sbu_book":0.40,"sbu_expect":0.35,"status":"pending","reason":"new","start":null,"wall":null,"cpu":null,"maxrss_kib":null,"exit":null,"log":"logs/ch6/ncurses.log"},
{"id":"ch7/chroot-x","title":"Entering the chroot","stage":"chroot","sbu_book":0.10,"sbu_expect":0.10,"status":"excluded","reason":null,"start":null,"wall":null,"cpu":null,"maxrss_kib":null,"exit":null,"log":"logs/ch7/chroot-x.log"},
{"id":"ch8/a-step-with-a-rather-long-identifier","title":"A long title, to see how the lines are cut","stage":"system","sbu_book":12.00,"sbu_expect":11.50,"status":"pending","reason":"new","start":null,"wall":null,"cpu":null,"maxrss_kib":null,"exit":null,"log":"logs/ch8/long.log"}
]}
EOF
	stamp "$w" ch4/prep-dirs ok $((T0 - 90000)).500 1.250 0.750 1024 0
	stamp "$w" ch7/chroot-x ok $((T0 - 89000)).000 3.000 2.500 2048 0
	printf 'ch5/binutils-pass1: 12 tests, 0 failed\n' >"$w/logs/tests/summary.txt"
	printf 'ch5/binutils-pass1\t%s\t86.10\t1.00\t150.30\t123456\tdone\n' "$T0" >"$w/logs/timings.tsv"
}

# dead: run.json says running but its pid is gone; three steps were running on -j3, the SBU is
# not in run.json (state/sbu has it), no command.
make_dead() {
	local w=$1
	mkdir -p "$w/state"
	printf '86.123\n' >"$w/state/sbu"
	cat >"$w/state/run.json" <<EOF
{"version":1,"pid":99999998,"state":"running","command":null,"started":$T0.000,"updated":$((T0 + 400)).000,"jobs":3,"sbu":null,"total":5,"done":1,"skipped":0,"failed":0,"running":3,"steps":[
{"id":"ch8/glibc","title":"Glibc-2.41","stage":"system","sbu_book":12.00,"sbu_expect":9.50,"status":"done","reason":"new","start":$T0.000,"wall":100.000,"cpu":180.000,"maxrss_kib":100000,"exit":0,"log":"logs/ch8/glibc.log"},
{"id":"ch8/gcc","title":"GCC-14.2.0","stage":"system","sbu_book":46.00,"sbu_expect":30.00,"status":"running","reason":"new","start":$((T0 + 100)).000,"wall":null,"cpu":null,"maxrss_kib":null,"exit":null,"log":"logs/ch8/gcc.log"},
{"id":"ch8/attr","title":"Attr-2.5.2","stage":"system","sbu_book":0.10,"sbu_expect":0.30,"status":"running","reason":"new","start":$((T0 + 390)).500,"wall":null,"cpu":null,"maxrss_kib":null,"exit":null,"log":"logs/ch8/attr.log"},
{"id":"ch8/acl","title":"Acl-2.3.2","stage":"system","sbu_book":0.10,"sbu_expect":0.20,"status":"running","reason":"new","start":$((T0 + 399)).000,"wall":null,"cpu":null,"maxrss_kib":null,"exit":null,"log":"logs/ch8/acl.log"},
{"id":"ch9/config","title":"Configuring the system","stage":"config","sbu_book":0.00,"sbu_expect":0.00,"status":"pending","reason":"new","start":null,"wall":null,"cpu":null,"maxrss_kib":null,"exit":null,"log":"logs/ch9/config.log"}
]}
EOF
}

# done: a finished -j1 run whose steps are all done or up to date (pretty-printed run.json).
make_done() {
	local w=$1
	mkdir -p "$w/state"
	cat >"$w/state/run.json" <<EOF
{
  "version": 1, "pid": 1, "state": "done", "command": "lfsbuild -C /w build",
  "started": $T0.000, "updated": $((T0 + 5000)).000, "jobs": 1, "sbu": 120.5,
  "steps": [
    {"id": "ch5/a", "title": "A", "stage": "cross", "sbu_book": 1.0, "sbu_expect": 1.0, "status": "done",
     "reason": "new", "start": $T0.000, "wall": 120.500, "cpu": 119.000, "maxrss_kib": 1, "exit": 0, "log": "logs/ch5/a.log"},
    {"id": "ch5/b", "title": "B", "stage": "cross", "sbu_book": 2.0, "sbu_expect": 2.0, "status": "skipped",
     "reason": "up to date", "start": $((T0 - 100)).000, "wall": 60.000, "cpu": 30.000, "maxrss_kib": 2, "exit": 0, "log": "logs/ch5/b.log"},
    {"id": "ch6/c", "title": "C", "stage": "temp", "sbu_book": 30.0, "sbu_expect": 30.0, "status": "done",
     "reason": "new", "start": $((T0 + 121)).000, "wall": 3600.000, "cpu": 3500.000, "maxrss_kib": 3, "exit": 0, "log": "logs/ch6/c.log"},
    {"id": "ch6/d", "title": "D", "stage": "temp", "sbu_book": 10.0, "sbu_expect": 10.0, "status": "done",
     "reason": "new", "start": $((T0 + 3722)).000, "wall": 1278.000, "cpu": 1200.000, "maxrss_kib": 4, "exit": 0, "log": "logs/ch6/d.log"}
  ]
}
EOF
}

# nojson: no run.json; the stamps (one failed, one still "running") and logs/timings.tsv (a step
# only there, and one whose stamp wins).
make_nojson() {
	local w=$1
	mkdir -p "$w/state" "$w/logs"
	printf '90.000\n' >"$w/state/sbu"
	stamp "$w" ch5/binutils-pass1 ok $T0.000 90.000 140.000 1000 0
	stamp "$w" ch5/gcc-pass1 failed $((T0 + 90)).000 200.500 380.000 2000 1
	stamp "$w" ch5/glibc running $((T0 + 95)).000 0.000 0.000 0 -1
	printf 'ch4/old\t%s\t7.00\t-\t3.00\t1\tdone\n' $((T0 - 3600)) >"$w/logs/timings.tsv"
	printf 'ch5/binutils-pass1\t%s\t80.00\t-\t70.00\t1\tdone\n' $((T0 - 7200)) >>"$w/logs/timings.tsv"
}

for name in failed dead done nojson; do
	W=$T/$name
	"make_$name" "$W"
	"$LFSBUILD" -C "$W" status >"$T/$name.status" 2>&1
	echo "exit $?" >>"$T/$name.status"
	"$LFSBUILD" -C "$W" report >"$T/$name.report" 2>&1
	echo "exit $?" >>"$T/$name.report"
	sed -i "s#$W#WORKDIR#g; s/ ([^()]* ago)\$/ (AGO)/" "$T/$name.status" "$T/$name.report"
	cp "$W/logs/trace.json" "$T/$name.trace.json"
	cp "$W/logs/timeline.svg" "$T/$name.timeline.svg"
	for f in status report trace.json timeline.svg; do
		if [ "${GOLDEN_WRITE:-}" = 1 ]; then
			cp "$T/$name.$f" "$G/$name.$f"
		else
			ok "$name: $f as before" diff -u "$G/$name.$f" "$T/$name.$f"
		fi
	done
done
