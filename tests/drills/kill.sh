# Drill: SIGKILL of `lfsbuild build` at 5 random moments of a build of the drill book (user-mode
# steps, then chroot steps). After each kill: the host's mount table is as before, and no
# process is left that carries the drill's marker (every step's environment has it) or the
# work directory in its command line, or that holds $LFS in its mount namespace. Then the
# build completes and its root and stamps equal those of an uninterrupted build.
# docs/RELIABILITY.md has the measured result; DRILL_VERBOSE=1 prints each kill as a comment.
. "$(dirname "$0")/../lib/check.sh"
. "$ROOT/tests/books/lib.bash"
. "$ROOT/tests/drills/lib.bash"

if [ "$(id -u)" != 0 ]; then
	skip "kill drill" "needs root (chroot steps)"
	exit 0
fi
MARK=lfsbuild-drill-$$-$RANDOM

setup() {
	book_setup drill
	sed -i "s/@MARKER@/$MARK/" "$BOOK/stages"
	mkdir -p "$W/root"
	local f
	for f in /bin/bash /bin/sleep /bin/cat /bin/mkdir /bin/mv /bin/rm; do
		cp --parents -L "$f" "$W/root/"
		for f in $(ldd "$f" | grep -o '/[^ ]*'); do cp --parents -L "$f" "$W/root/"; done
	done
}
# The root's files (owner, mode, content) and the stamps' results and hashes.
snapshot() {
	(cd "$W/root" && find . -path ./trace -prune -o -printf '%p %U:%G %m\n' | sort | while read -r f rest; do
		if [ -f "$f" ]; then echo "$f $rest $(md5sum <"$f" | cut -c1-32)"; else echo "$f $rest"; fi
	done)
	(cd "$W/state/stamps" && for s in ch*/*.stamp; do echo "$s $(grep -E '^(result|hash) ' "$s" | tr '\n' ' ')"; done)
}
note() { [ -z "${DRILL_VERBOSE:-}" ] || echo "# $*"; }

setup
t0=$(date +%s%N)
ok "an uninterrupted build of the drill book" lb build -j2 -q
t1=$(date +%s%N)
note "uninterrupted build: $(( (t1 - t0) / 1000000 )) ms"
snapshot >"$T/reference"
ok "the reference has every step" test "$(grep -c 'result ok' "$T/reference")" = 7
ok "the reference ran chroot steps as root" grep -q '^./usr/c3/inputs 0:0 ' "$T/reference"
ok "the reference ran user steps as the build uid" grep -q '^./usr/u3/inputs 4242:' "$T/reference"
ok "no step process outlived the uninterrupted build" test -z "$(leftovers "$W/root" "$MARK" "$W/")"

setup
mounts >"$T/mounts.before"
kills=0 attempt=0 chroot_kills=0 seen_env=0 seen_ns=0
while [ $kills -lt 5 ] && [ $attempt -lt 20 ]; do
	attempt=$((attempt + 1))
	rm -f "$W"/root/trace/*.start
	# the moment: the first kill at random in the first half second (planning, unpacking, the
	# first steps); the others while a random step that is not done yet runs (ch1 for the
	# second, ch2 after), at a random point of its first 0.4 s
	target="" pending=()
	for s in u1 u2 u3 u4 c1 c2 c3; do
		ch=ch1; [[ $s == c* ]] && ch=ch2
		grep -qs '^result ok' "$W/state/stamps/$ch/$s.stamp" || pending+=("$s")
	done
	# a step still to build has no .end mark of an earlier attempt (the check after the kill reads it)
	for s in "${pending[@]}"; do rm -f "$W/root/trace/$s.end"; done
	# On a loaded machine the last step may end before its kill comes, and the build with it:
	# nothing is left to kill in this work directory, so the drill starts again from an empty one.
	if [ ${#pending[@]} = 0 ]; then
		note "attempt $attempt: every step is done; starting again from an empty work directory"
		setup
		pending=(u1 u2 u3 u4 c1 c2 c3)
	fi
	if [ $kills -ge 1 ]; then
		want=u; [ $kills -ge 2 ] && want=c
		cand=()
		for s in "${pending[@]}"; do [[ $s == $want* ]] && cand+=("$s"); done
		[ ${#cand[@]} -gt 0 ] || cand=("${pending[@]}")
		target=${cand[RANDOM % ${#cand[@]}]}
	fi
	# with a target, that step holds (bounded, 10 s) until both checks below have looked at it:
	# on a loaded machine it could otherwise end before a scan of /proc finds it
	[ -z "$target" ] || { mkdir -p "$W/root/trace" && touch "$W/root/trace/hold.$target"; }
	lb_bg build -j2 -q >"$T/run.$attempt" 2>&1
	pid=$!
	if [ -z "$target" ]; then
		delay=0.$(printf '%03d' $((RANDOM % 500)))
		sleep "$delay"
	else
		for _ in $(seq 250); do [ -e "$W/root/trace/$target.start" ] && break; sleep 0.02; done
		# the checks below can fail: while the step runs, both ways of finding it find it
		[ -z "$(leftovers "" "$MARK")" ] || seen_env=$((seen_env + 1))
		[ -z "$(leftovers "$W/root")" ] || seen_ns=$((seen_ns + 1))
		rm -f "$W/root/trace/hold.$target"
		delay=0.$(printf '%03d' $((RANDOM % 400)))
		sleep "$delay"
	fi
	running=$(running_steps "$W")
	kill -KILL "$pid" 2>/dev/null
	wait "$pid" 2>/dev/null
	rc=$?
	if [ "$rc" != 137 ]; then
		note "attempt $attempt: the build ended (exit $rc) before the kill"
		continue
	fi
	kills=$((kills + 1))
	[[ $running == *ch2/* ]] && chroot_kills=$((chroot_kills + 1))
	took=$(wait_no_leftovers 5 "$W/root" "$MARK" "$W/")
	left=$?
	note "kill $kills: ${target:+while $target ran, }+${delay}s; running: ${running:-none}; steps' processes gone after ${took}s"
	ok "kill $kills: no process of the build is left (${took}s)" test "$left" = 0
	[ "$left" = 0 ] || leftovers "$W/root" "$MARK" "$W/" | sed 's/^/#   left: /'
	mounts >"$T/mounts.after"
	ok "kill $kills: the host's mount table is unchanged" diff "$T/mounts.before" "$T/mounts.after"
	# A step that was running is not marked done unless its script had ended (its .end mark):
	# on a loaded machine the step may end between reading run.json and the kill, and lfsbuild
	# may then record it; what must never be is "done" for a script the kill cut short.
	for s in $running; do
		ok "kill $kills: $s, running when killed, is not marked done unless its script ended" \
			sh -c "! grep -q '^result ok' '$W/state/stamps/$s.stamp' || test -e '$W/root/trace/${s#*/}.end'"
	done
	for s in u1 u2 u3 u4 c1 c2 c3; do
		ch=ch1; [[ $s == c* ]] && ch=ch2
		if grep -qs '^result ok' "$W/state/stamps/$ch/$s.stamp" && [ ! -e "$W/root/trace/$s.end" ]; then
			ok "kill $kills: $ch/$s is marked done but its script never ended" false
		fi
	done
done
ok "lfsbuild was killed 5 times ($kills in $attempt attempts)" test "$kills" = 5
ok "at least one kill hit a chroot step ($chroot_kills)" test "$chroot_kills" -ge 1
ok "the check by marker saw the running steps before the kills ($seen_env of 4)" test "$seen_env" -ge 2
ok "the check by mount namespace saw them too ($seen_ns of 4)" test "$seen_ns" -ge 2
out=$(lb build -j2 2>&1); rc=$?
ok "the build after the kills completes" test "$rc" = 0
[ "$rc" = 0 ] || echo "$out" | tail -20 | sed 's/^/#   /'
expect_in "a step that was running when killed runs again and says so" "(interrupted last time)" "$out$(cat "$T"/run.*)"
snapshot >"$T/after"
ok "root and stamps equal those of the uninterrupted build" diff "$T/reference" "$T/after"
ok "nothing of the steps is left" test -z "$(leftovers "$W/root" "$MARK" "$W/")"
ok "no mount point is left in \$LFS" test ! -e "$W/root/build"
out=$(lb build -j2 2>&1)
expect_in "then everything is up to date" "build complete: 0 steps run, 7 up to date" "$out"
