# Build trees on a tmpfs (docs/engine.md, "Build trees on tmpfs"), tests/books/tmpfs: a step
# with a small `disk` line builds on a tmpfs, one whose `disk` line is twice the machine's
# memory and one without a `disk` line on disk; a failed step's tree is copied to the disk
# (lfsbuild shell STEP finds it); --build-tmpfs off and on; nothing is ever mounted on the
# host, not even after kill -9 of lfsbuild.
. "$(dirname "$0")/../lib/check.sh"
. "$ROOT/tests/books/lib.bash"

if [ "$(id -u)" != 0 ]; then
	skip "build trees on a tmpfs" "needs root (a mount)"
	exit 0
fi
book_setup tmpfs
huge=$(( $(awk '/^MemTotal:/ {print $2}' /proc/meminfo) * 2 / 1024 / 1024 + 1 ))
sed -i "s/@HUGE@/${huge}G/" "$BOOK/ch1/huge.recipe"
fs() { cat "$W/root/fstype/$1" 2>/dev/null || echo missing; }
mounted() { grep -c " $W/" /proc/self/mountinfo; }

# the disk guard would refuse ch1/huge's ${huge}G: off for this build
export LFSBUILD_DISK_CHECK=0
fails "the build (ch1/fails fails)" lb build -j2
ok "small (disk 10M): its build directory was a tmpfs (got $(fs small))" test "$(fs small)" = tmpfs
ok "huge (disk ${huge}G, twice the memory): on disk (got $(fs huge))" test "$(fs huge)" != tmpfs -a "$(fs huge)" != missing
ok "nodisk (no disk line): on disk (got $(fs nodisk))" test "$(fs nodisk)" != tmpfs -a "$(fs nodisk)" != missing
ok "fails: its build directory was a tmpfs" test "$(fs fails)" = tmpfs
expect_in "small's log says where and why" "# build directory on a tmpfs of at most 271.0 MiB (its \`disk\` line 10.0 MiB" "$(cat "$W/logs/ch1/small.log")"
expect_in "huge's log says why not" "# build directory on disk (a tmpfs of" "$(cat "$W/logs/ch1/huge.log")"
expect_in "... it does not fit" "does not fit in the" "$(cat "$W/logs/ch1/huge.log")"
expect_in "nodisk's log says why not" "# build directory on disk (no \`disk\` line: its size is not known)" "$(cat "$W/logs/ch1/nodisk.log")"
ok "small succeeded and installed" test -f "$W/root/usr/small/built.txt"
ok "small's build directory is gone" test ! -e "$W/build/ch1_small"
ok "fails: its tree is on the disk after the failure" grep -q "left by the failed step" "$W/build/ch1_fails/alpha-1.0/evidence.txt"
ok "... a symlink of it copied as a link, not followed" test -L "$W/build/ch1_fails/alpha-1.0/deep/er/link"
ok "... owned by the build uid as the step left it" test "$(stat -c %u "$W/build/ch1_fails/alpha-1.0/evidence.txt")" != 0
expect_in "fails: its log says where the tree went" "the build directory was on a tmpfs: copied to $W/build/ch1_fails" "$(cat "$W/logs/ch1/fails.log")"
ok "nothing of the work directory is mounted on the host" test "$(mounted)" = 0
out=$(lb shell ch1/fails -c 'cat evidence.txt; stat -f -c %T .' 2>&1)
expect_in "lfsbuild shell STEP: the failed step's tree" "left by the failed step" "$out"

# --build-tmpfs off: small on disk; on: nodisk on a tmpfs too
rm -rf "$W/root/fstype"
ok "--build-tmpfs off" lb build --only ch1/small --build-tmpfs off
ok "... small on disk (got $(fs small))" test "$(fs small)" != tmpfs -a "$(fs small)" != missing
expect_in "... said in its log" "# build directory on disk (--build-tmpfs off)" "$(cat "$W/logs/ch1/small.log")"
printf 'build-tmpfs = on\n' >"$W/lfsbuild.conf"
ok "build-tmpfs = on in lfsbuild.conf" lb build --only ch1/nodisk
ok "... nodisk on a tmpfs (got $(fs nodisk))" test "$(fs nodisk)" = tmpfs
expect_in "... said in its log" "(--build-tmpfs on; no \`disk\` line: half of the RAM)" "$(cat "$W/logs/ch1/nodisk.log")"
rm "$W/lfsbuild.conf"
fails "--build-tmpfs maybe: refused" lb build --only ch1/small --build-tmpfs maybe
expect_in "... saying what it wants" "--build-tmpfs wants on, off or auto" "$(cat "$T/.out")"

# kill -9 of lfsbuild while a step runs on its tmpfs: nothing stays mounted
printf 'title Sleeps\nstage one\ndisk 10M\n\n%%build\nfstype small\nsleep 60.4242\n' >"$BOOK/ch1/small.recipe"
rm -rf "$W/root/fstype"
lb_bg build --only ch1/small >/dev/null 2>&1
pid=$!
for _ in $(seq 100); do [ -f "$W/root/fstype/small" ] && break; sleep 0.1; done
ok "the sleeping step runs on its tmpfs" test "$(fs small)" = tmpfs
ok "... which is not mounted on the host" test "$(mounted)" = 0
kill -9 "$pid"
wait "$pid" 2>/dev/null
for _ in $(seq 50); do pgrep -f "[s]leep 60[.]4242" >/dev/null || break; sleep 0.1; done
ok "after kill -9: nothing mounted on the host" test "$(mounted)" = 0
ok "... and the step is gone" sh -c '! pgrep -f "[s]leep 60[.]4242" >/dev/null'
