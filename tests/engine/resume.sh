# Resume: SIGKILL lfsbuild at random moments, several times; the next build finishes the job and
# the root and the stamps equal those of an uninterrupted build.
. "$(dirname "$0")/../lib/check.sh"
. "$ROOT/tests/books/lib.bash"

book_setup resume
ok "an uninterrupted build" lb build -j2 -q
snapshot() { # the root's files with their content, and the stamps' results and hashes
	(cd "$W/root" && find . -path ./trace -prune -o -print | sort | while read -r f; do
		if [ -f "$f" ]; then echo "$f $(md5sum <"$f" | cut -c1-32)"; else echo "$f"; fi
	done)
	(cd "$W/state/stamps" && for s in ch*/*.stamp; do echo "$s $(grep -E '^(result|hash) ' "$s" | tr '\n' ' ')"; done)
}
snapshot >"$T/reference"
ok "the reference has every step" test "$(grep -c 'result ok' "$T/reference")" = 8

book_setup resume
kills=0
for i in 1 2 3 4 5 6; do
	lb_bg build -j2 -q >"$T/run.$i" 2>&1
	pid=$!
	sleep "0.$((RANDOM % 9 + 1))"
	if kill -9 "$pid" 2>/dev/null; then kills=$((kills + 1)); fi
	wait "$pid" 2>/dev/null
done
ok "lfsbuild was killed at least 3 times ($kills)" test "$kills" -ge 3
# One more kill at a moment known to be inside a step (its stamp says "running"), so that the
# next build must say why it runs that step again, whatever the random kills above hit.
rm -f "$W/state/stamps/ch1/r8.stamp"
lb_bg build -j2 -q >"$T/run.known" 2>&1
pid=$!
for _ in $(seq 1 1000); do
	grep -qs '^result running' "$W"/state/stamps/ch1/*.stamp && break
	sleep 0.01
done
ok "a step was running at the known kill" grep -qs '^result running' "$W"/state/stamps/ch1/*.stamp
kill -9 "$pid" 2>/dev/null
wait "$pid" 2>/dev/null
out=$(lb build -j2 2>&1); rc=$?
ok "the build after the kills succeeds" test "$rc" = 0
expect_in "a step that was running when killed runs again and says so" "(interrupted last time)" "$out$(cat "$T"/run.*)"
snapshot >"$T/after"
ok "root and stamps equal those of the uninterrupted build" diff "$T/reference" "$T/after"
ok "nothing of the steps is left running" sh -c "! pgrep -f '$W/buil[d]/' >/dev/null"
out=$(lb build -j2 2>&1)
expect_in "then everything is up to date" "build complete: 0 steps run, 8 up to date" "$out"
