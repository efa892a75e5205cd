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
