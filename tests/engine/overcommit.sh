# The pressure rule (`build --overcommit N`, issue 17): a ready step starts beyond the job slots
# while the cores idle and the CPU is not contended, and holds back otherwise. The book "wide" at
# -j1: each step waits until two steps have started (tests/engine/parallel.sh), so two can only
# both run if one started beyond the slot; the readings come from stand-ins for /proc/stat and
# /proc/pressure/cpu (LFSBUILD_PROC_STAT, LFSBUILD_PROC_PRESSURE_CPU) that the test writes, so
# the checks hold on a loaded machine. Whether the rule gains time on real chapters: bench/.
. "$(dirname "$0")/../lib/check.sh"
. "$ROOT/tests/books/lib.bash"

peers() { mkdir -p "$W/root" && echo "$*" >"$W/root/peers"; }
# cpu_feed IDLE_PER_TICK: /proc/stat of a 2-CPU machine whose counters grow by 20 jiffies a tick
# (0.1 s), IDLE_PER_TICK of them idle (15: 1.5 cores idle; 2: 0.2), for at most 5 minutes
cpu_feed() {
	local idle=0 all=0 i
	for i in $(seq 3000); do
		idle=$((idle + $1)) all=$((all + 20))
		printf 'cpu  %d 0 0 %d 0 0 0 0 0 0\ncpu0 0 0 0 0 0 0 0 0 0 0\ncpu1 0 0 0 0 0 0 0 0 0 0\nintr 0\n' \
			$((all - idle)) "$idle" >"$T/stat.new" && mv "$T/stat.new" "$T/stat"
		sleep 0.1
	done
}
feed=
feed() { [ -z "$feed" ] || kill "$feed" 2>/dev/null; wait 2>/dev/null; cpu_feed "$1" & feed=$!; }
trap '[ -z "$feed" ] || kill "$feed" 2>/dev/null' EXIT
psi() { printf 'some avg10=%s avg60=0.00 avg300=0.00 total=1\nfull avg10=0.00 avg60=0.00 avg300=0.00 total=0\n' "$1" >"$T/psi"; }
export LFSBUILD_PROC_STAT=$T/stat LFSBUILD_PROC_PRESSURE_CPU=$T/psi

# 1. cores idle, no contention: the second step starts beyond the one slot
feed 15
psi 0.50
book_setup wide
peers 2 120
out=$(lb build -j1 --overcommit 1 2>&1); rc=$?
ok "-j1 --overcommit 1, cores idle: the build completes (exit $rc)" test "$rc" = 0
[ "$rc" = 0 ] || tail -5 <<<"$out" | sed 's/^/#   /'
ok "two steps ran at once, never more" test "$(max_overlap "$W/root/trace")" = 2
expect_in "it says which step started beyond the slot, and why" \
	"beyond the 1 job slot: 1.5 cores idle, CPU pressure 0.5 % (--overcommit 1)" "$out"
# the note comes before the step's own start line
ok "... before that step's start" test "$(grep -A1 'beyond the 1 job slot' <<<"$out" | sed -n '2s/^\[[0-9:]*\] //p')" = \
	"start $(grep -o 'ch1/w[0-9] starts beyond' <<<"$out" | head -1 | cut -d' ' -f1)"
# 2. the same with the CPU contended (PSI high): it holds back
psi 40.00
book_setup wide
peers 2 6
out=$(lb build -j1 --overcommit 1 2>&1); rc=$?
ok "CPU pressure 40 %: no step beyond the slot (the waiting step fails, exit $rc)" test "$rc" != 0
expect_in "... the wait was real" "fewer than 2 steps started within 6 s" "$out"
expect_in "the resume command keeps --overcommit" "build -j1 --overcommit=1" "$(grep -i -A1 "resume with" <<<"$out")"
case $out in *"beyond the"*) _report 1 "... and nothing started beyond the slot" ;; *) _report 0 "... and nothing started beyond the slot" ;; esac
# 3. no pressure, but the cores are busy (0.2 idle): it holds back
feed 2
psi 0.00
book_setup wide
peers 2 6
out=$(lb build -j1 --overcommit 1 2>&1); rc=$?
ok "0.2 cores idle: no step beyond the slot (exit $rc)" test "$rc" != 0
case $out in *"beyond the"*) _report 1 "... nothing started beyond it" ;; *) _report 0 "... nothing started beyond it" ;; esac
# 4. a kernel without PSI: it holds back
feed 15
book_setup wide
peers 2 6
out=$(LFSBUILD_PROC_PRESSURE_CPU=$T/nosuch lb build -j1 --overcommit 1 2>&1); rc=$?
ok "no /proc/pressure/cpu: no step beyond the slot (exit $rc)" test "$rc" != 0
case $out in *"beyond the"*) _report 1 "... nothing started beyond it" ;; *) _report 0 "... nothing started beyond it" ;; esac
# 5. without --overcommit, idle cores change nothing
psi 0.00
book_setup wide
peers 2 6
out=$(lb build -j1 2>&1); rc=$?
ok "without --overcommit: the slots hold (exit $rc)" test "$rc" != 0
# 6. --sequential wins
book_setup wide
peers 2 6
out=$(lb build -j1 --sequential --overcommit 1 2>&1); rc=$?
ok "--sequential --overcommit 1: one at a time (exit $rc)" test "$rc" != 0
# 7. the option's value
fails_with 2 "--overcommit wants a positive number" lb build --overcommit 0
fails_with 2 "--overcommit wants a positive number" lb build --overcommit x
