# SIGINT and SIGTERM: the running steps are killed, recorded as interrupted, exit 130/143 with
# the command that resumes.
. "$(dirname "$0")/../lib/check.sh"
. "$ROOT/tests/books/lib.bash"

for sig in INT TERM; do
	book_setup wide
	# the steps wait for 5 peers that never come (at most 60 s): surely running when the signal
	# comes, however loaded the machine (tests/books/wide/stages)
	mkdir -p "$W/root" && echo "5 60" >"$W/root/peers"
	lb_bg build -j2 >"$T/out" 2>"$T/err"
	pid=$!
	for _ in $(seq 600); do [ -e "$W/root/trace/ch1_w1.start" ] && break; sleep 0.1; done
	kill -s $sig $pid
	wait $pid; rc=$?
	want=$([ $sig = INT ] && echo 130 || echo 143)
	ok "SIG$sig: exit $want" test "$rc" = "$want"
	expect_in "SIG$sig: says so and how to resume" "Resume with:" "$(cat "$T/err")"
	expect_in "SIG$sig: the resume command" "lfsbuild -C $W" "$(cat "$T/err")"
	ok "SIG$sig: the running steps are recorded as interrupted" grep -q "^result interrupted" "$W/state/stamps/ch1/w1.stamp"
	ok "SIG$sig: run.json says interrupted" grep -q '"state":"interrupted"' "$W/state/run.json"
	ok "SIG$sig: the steps' processes are gone" sh -c "! pgrep -f 'buil[d]/ch1_w' >/dev/null"
	ok "SIG$sig: nothing else started" test ! -e "$W/root/trace/ch1_w3.start"
	rm "$W/root/peers"
	out=$(lb build -j2 2>&1)
	expect_in "SIG$sig: the next build reruns them" "run   ch1/w1 (interrupted last time)" "$out"
done

# A signal while a step's build directory is being prepared (its preparing child removes the old
# tree that an interrupted run left: 50 000 planted files keep it busy): to lfsbuild itself, or to
# the preparing child alone (a pkill, Ctrl-C's process group). Either stops the build at once as
# interrupted, the step never starts, and the next build prepares it again from nothing.
for target in lfsbuild child; do
	book_setup wide
	mkdir -p "$W/root" && echo "5 60" >"$W/root/peers"
	for d in $(seq 50); do
		mkdir -p "$W/build/ch1_w1/old$d"
		(cd "$W/build/ch1_w1/old$d" && seq 1000 | xargs touch)
	done
	lb_bg build -j1 ch1/w1 >"$T/out" 2>"$T/err"
	pid=$!
	kid=
	for _ in $(seq 600); do
		kid=$(pgrep -P $pid | head -1)
		[ -n "$kid" ] && break
		sleep 0.05
	done
	ok "preparing ($target): the preparing child is there" test -n "$kid"
	if [ $target = lfsbuild ]; then kill -TERM $pid; else kill -TERM "$kid"; fi
	# bounded: a build that goes on is killed after 60 s, and fails the check
	for _ in $(seq 600); do kill -0 $pid 2>/dev/null || break; sleep 0.1; done
	kill -0 $pid 2>/dev/null && { kill -KILL $pid; echo "lfsbuild still ran 60 s after SIGTERM"; }
	wait $pid; rc=$?
	ok "preparing ($target): SIGTERM ends the build, exit 143" test "$rc" = 143
	expect_in "preparing ($target): says so and how to resume" "Resume with:" "$(cat "$T/err")"
	ok "preparing ($target): the step never started" test ! -e "$W/root/trace/ch1_w1.start"
	ok "preparing ($target): the step is recorded as interrupted" grep -q "^result interrupted" "$W/state/stamps/ch1/w1.stamp"
	ok "preparing ($target): no process is left" sh -c "! pgrep -P $pid >/dev/null && ! pgrep -f 'buil[d]/ch1_w1' >/dev/null"
	rm "$W/root/peers"
	out=$(lb build -j1 ch1/w1 2>&1)
	expect_in "preparing ($target): the next build runs it" "run   ch1/w1 (interrupted last time)" "$out"
	ok "preparing ($target): from a fresh build directory" test ! -e "$W/build/ch1_w1/old1"
done
