# CPU per phase (docs/watching.md, "Phases"): tests/books/phases, whose ch1/heavy burns ten times
# more CPU in %test than in %build and %install (a busy loop of a fixed count: compared with
# each other, never with a time, so a loaded machine changes nothing); ch1/light has no %test,
# ch1/broken fails in its %build.
. "$(dirname "$0")/../lib/check.sh"
. "$ROOT/tests/books/lib.bash"

book_setup phases
fails "the build (ch1/broken fails in its %build)" lb build -j2 --tests
J=$W/state/run.json
# phase STEP NAME FIELD: a figure of run.json's "phases", or "none"
phase() {
	python3 -c 'import json,sys
s = [x for x in json.load(open(sys.argv[1]))["steps"] if x["id"] == sys.argv[2]][0]
p = s.get("phases", {}).get(sys.argv[3])
print("none" if p is None else p[sys.argv[4]])' "$J" "$1" "$2" "$3"
}
gt() { python3 -c 'import sys; sys.exit(0 if float(sys.argv[1]) > float(sys.argv[2]) else 1)' "$1" "$2"; }
ok "heavy: the CPU of %test is more than that of %build" gt "$(phase ch1/heavy test cpu)" "$(phase ch1/heavy build cpu)"
ok "heavy: ... and more than that of %install" gt "$(phase ch1/heavy test cpu)" "$(phase ch1/heavy install cpu)"
ok "heavy: every phase has a wall time" test "$(phase ch1/heavy test wall)" != none -a "$(phase ch1/heavy install wall)" != none
ok "heavy: the unpacking is a phase of its own" test "$(phase ch1/heavy unpack cpu)" != none
sums=$(python3 -c 'import json,sys
for s in json.load(open(sys.argv[1]))["steps"]:
    p = s["phases"]
    c = sum(v["cpu"] for k, v in p.items() if k != "unpack")
    w = sum(v["wall"] for k, v in p.items() if k != "unpack")
    print(s["id"], "ok" if abs(c - s["cpu"]) < 0.01 and abs(w - s["wall"]) < 0.01 else "differ %s %s" % (c, w))' "$J")
expect_in "the sections add up to the step's CPU and wall (heavy)" "ch1/heavy ok" "$sums"
expect_in "... (light)" "ch1/light ok" "$sums"
expect_in "... (broken)" "ch1/broken ok" "$sums"
ok "light (no %test): no test phase" test "$(phase ch1/light test cpu)" = none
ok "broken (failed in %build): a build phase and no install phase" \
	test "$(phase ch1/broken build cpu)" != none -a "$(phase ch1/broken install cpu)" = none
ok "the stamp keeps them" grep -q "^phase test " "$W/state/stamps/ch1/heavy.stamp"
ok "they are not inputs of the step" sh -c "! grep -q '^input.*phase' '$W/state/stamps/ch1/heavy.stamp'"

out=$(lb report)
expect_in "report: the phase table" "CPU per phase (user + system; unpack: lfsbuild's own):" "$out"
expect_in "report: its columns" "unpack     build      test   install     total" "$out"
expect_in "report: the totals row" "all 3 steps" "$out"
first=$(printf '%s\n' "$out" | sed -n 's/^ *1\. \(ch1\/[a-z]*\) .*[0-9]s$/\1/p' | tail -1)
ok "report: heavy has the most CPU over its phases (got '$first')" test "$first" = ch1/heavy
expect_in "report: light's test column is empty" "-      0.0s" "$(printf '%s\n' "$out" | grep '\. ch1/light ')"
ok "trace.json: the phases in the step's args" grep -q '"name":"ch1/heavy".*"test_cpu_s":' "$W/logs/trace.json"
ok "trace.json is JSON" python3 -m json.tool "$W/logs/trace.json" >/dev/null

# the broken step fixed: heavy and light are up to date, their phases come from the stamps
printf 'title   Fixed\nstage   one\nafter   ch1/light\n\n%%build\nburn 1000\n' >"$BOOK/ch1/broken.recipe"
ok "the build again" lb build -j2 --tests
st=$(python3 -c 'import json,sys; print([x["status"] for x in json.load(open(sys.argv[1]))["steps"] if x["id"] == "ch1/heavy"][0])' "$J")
ok "heavy was up to date (got $st)" test "$st" = skipped
ok "... and its phases came from its stamp" test "$(phase ch1/heavy test cpu)" != none
expect_in "the script of a step marks its sections" "lfsbuild_phase build  # %build" "$(cat "$W/logs/ch1/broken.log")"
