# `nice lfsbuild build` stays nice: each step runs in a session of its own (setsid), and with the
# kernel's scheduler autogroups a new session's group weighs as nice 0 whatever the nice value of
# its processes; the sandbox gives the step's autogroup lfsbuild's nice value.
. "$(dirname "$0")/../lib/check.sh"

if [ "$(cat /proc/sys/kernel/sched_autogroup_enabled 2>/dev/null)" != 1 ] || [ ! -e /proc/self/autogroup ]; then
	skip "the autogroup of a step" "no scheduler autogroups on this kernel"
else
	B=$T/book
	mkdir -p "$B/ch1"
	printf 'stage a\n  chapter 1\n  mode    user\n  env     PATH=/usr/bin:/bin\n' >"$B/stages"
	echo ch1/ag >"$B/toc"
	: >"$B/sources"
	printf 'title AG\nstage a\n\n%%build\ncat /proc/self/autogroup > $LFS/ag.txt\nnice > $LFS/nice.txt\n' >"$B/ch1/ag.recipe"
	chmod -R a+rX "$T"
	base=$(nice)   # the tests may run niced themselves (make check under nice)
	want=$((base + 7 > 19 ? 19 : base + 7))
	ok "a build under nice -n 7" nice -n 7 "$LFSBUILD" --book "$B" -C "$T/w" build -q
	ok "the step's processes are nice $want" test "$(cat "$T/w/root/nice.txt")" = "$want"
	ok "and so is its autogroup (a session of its own)" grep -qE "^/autogroup-[0-9]+ nice $want\$" "$T/w/root/ag.txt"
	ok "the autogroup is not the test's own" test "$(cut -d' ' -f1 "$T/w/root/ag.txt")" != "$(cut -d' ' -f1 /proc/self/autogroup)"
	rm -rf "$T/w"
	ok "a build without nice" "$LFSBUILD" --book "$B" -C "$T/w" build -q
	ok "its step's autogroup has the nice value of lfsbuild ($base)" grep -qE "^/autogroup-[0-9]+ nice $base\$" "$T/w/root/ag.txt"
fi
