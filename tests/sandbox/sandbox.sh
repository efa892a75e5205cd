# The sandbox, through its API: the driver `test_sandbox run` (tests/unit/test_sandbox.c) spawns a
# command under sandbox_spawn and exits with its status (125: set-up failed). Needs root.
. "$(dirname "$0")/../lib/check.sh"

SBX=${SBX:-$ROOT/build/san/tests/test_sandbox}
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1}
if [ "$(id -u)" != 0 ]; then
	skip "sandbox tests" "not root (the test machine runs them as root)"
	exit 0
fi
if [ ! -x "$SBX" ]; then
	skip "sandbox tests" "$SBX not built (make build/san/tests/test_sandbox)"
	exit 0
fi
BUILDER=65534
chmod 755 "$T"
LFS=$T/lfs B=$T/build
mkdir -p "$LFS" "$B"
chown "$BUILDER:$BUILDER" "$LFS" "$B"
mounts_before=$(cat /proc/self/mountinfo)
host_sh=$(/bin/sh -c 'echo ${BASH_VERSION:-none}')
probe=sbx-probe-$$

# user mode: run as the build uid with the host read-only
user() { "$SBX" run --mode user --root "$LFS" --builddir "$B" --uid $BUILDER --gid $BUILDER \
	--env PATH=/usr/bin:/bin --env HOME="$HOME" -- "$@"; }
hostroot() { "$SBX" run --mode host-root --root "$LFS" --builddir "$B" --env PATH=/usr/bin:/bin -- "$@"; }

for d in /usr /etc /var/tmp "$HOME"; do
	fails "user: cannot write $d" user sh -c "echo x > $d/$probe"
	ok "user: $d/$probe is not on the host" test ! -e "$d/$probe"
done
out=$(user sh -c "echo x > /var/tmp/$probe" 2>&1)
expect_in "user: /var/tmp is a read-only file system" "Read-only file system" "$out"
ok "user: can write root" user sh -c 'echo a > "$0/a" && test "$(stat -c %u "$0/a")" = 65534' "$LFS"
ok "user: can write builddir, the default cwd" user sh -c 'echo b > b && test "$PWD" = "$0"' "$B"
ok "user: the files are on the host" test -f "$LFS/a" -a -f "$B/b"
ln -s "$B" "$T/blink"
ok "user: a builddir reached through a symlink is writable" \
	"$SBX" run --mode user --root "$LFS" --builddir "$T/blink" --uid $BUILDER --gid $BUILDER -- sh -c 'echo l > l'
ok "user: ... and written on the host" test -f "$B/l"
ok "user: can write a private /tmp" user sh -c "echo t > /tmp/$probe && test -f /tmp/$probe"
ok "user: that /tmp file is not on the host" test ! -e "/tmp/$probe"
out=$(user sh -c 'id -u; id -g; id -G')
expect_in "user: runs as the build uid and gid, no groups" "65534
65534
65534" "$out"
out=$(user grep -E '^(CapEff|CapBnd|CapPrm|NoNewPrivs)' /proc/self/status | tr -s '\t' ' ')
expect_in "user: no capabilities" "CapPrm: 0000000000000000
CapEff: 0000000000000000
CapBnd: 0000000000000000" "$out"
expect_in "user: no-new-privs" "NoNewPrivs: 1" "$out"
# a set-uid-root program inside the writable root does not give root back
cp /usr/bin/id "$LFS/suid-id" && chmod 4755 "$LFS/suid-id"
ok "control: the set-uid copy gives euid 0 outside" sh -c "setpriv --reuid=$BUILDER --regid=$BUILDER --clear-groups $LFS/suid-id -u | grep -qx 0"
out=$(user "$LFS/suid-id" -u 2>&1)
expect_in "user: a set-uid-root program stays uid 65534" "65534" "$out"
fails "user: setuid(0) is refused" user python3 -c 'import os; os.setuid(0)'
out=$(user sh -c 'echo ${BASH_VERSION:-not-bash}')
ok "user: /bin/sh is bash for the step, as the book requires" test "$out" != not-bash -a -n "$out"
ok "user: the host's /bin/sh is untouched" test "$(/bin/sh -c 'echo ${BASH_VERSION:-none}')" = "$host_sh"
out=$(user ps -eo pid= | wc -l)
ok "user: sees only its own processes (new pid namespace)" test "$out" -le 3

# no network: a listener on the host's 127.0.0.1 cannot be reached from inside
if command -v python3 >/dev/null; then
	python3 -c '
import socket, sys, time
s = socket.socket(); s.bind(("127.0.0.1", 0)); s.listen(8)
print(s.getsockname()[1], flush=True); time.sleep(30)' >"$T/port" &
	lpid=$!
	for _ in $(seq 50); do [ -s "$T/port" ] && break; sleep 0.1; done
	port=$(cat "$T/port")
	ok "control: the host listener on 127.0.0.1:$port answers" bash -c "exec 3<>/dev/tcp/127.0.0.1/$port"
	fails "user: cannot connect to the host's 127.0.0.1:$port" user bash -c "exec 3<>/dev/tcp/127.0.0.1/$port"
	fails "host-root: cannot connect to the host's 127.0.0.1:$port" hostroot bash -c "exec 3<>/dev/tcp/127.0.0.1/$port"
	kill $lpid 2>/dev/null
	wait $lpid 2>/dev/null
else
	skip "network isolation" "python3 missing"
fi
out=$(user sh -c 'tail -n +3 /proc/net/dev | cut -d: -f1 | tr -d " "; ls /sys/class/net')
expect_in "user: no interface but lo" "lo
lo" "$out"
ok "user: ... and only lo" test "$(echo "$out" | sort -u)" = lo

# host-root: root, the host read-only all the same
out=$(hostroot sh -c "id -u; echo x > /usr/$probe" 2>&1)
expect_in "host-root: runs as root" "0" "$out"
expect_in "host-root: /usr is a read-only file system" "Read-only file system" "$out"
ok "host-root: /usr/$probe is not on the host" test ! -e "/usr/$probe"
ok "host-root: can chown in root" hostroot sh -c 'touch "$0/c" && chown 123:456 "$0/c"' "$LFS"
ok "host-root: the owner changed on the host" test "$(stat -c %u:%g "$LFS/c")" = 123:456
fails "host-root: cannot remount / read-write (no CAP_SYS_ADMIN)" hostroot mount -o remount,bind,rw /
disk=/dev/$(ls /sys/block | grep -Ev '^(loop|ram|zram|nbd)' | head -1)
if [ -b "$disk" ]; then
	ok "control: the host has the disk $disk" test -b "$disk"
	fails "host-root: the host's disk $disk is not in its /dev" hostroot test -e "$disk"
fi
ok "host-root: its /dev has null, zero, urandom, pts, shm" hostroot sh -c 'echo x > /dev/null && head -c1 /dev/zero | wc -c | grep -qx 1 && test -c /dev/urandom && test -d /dev/pts && test -d /dev/shm && touch /dev/shm/x'
fails "host-root: cannot make a device node (no CAP_MKNOD)" hostroot sh -c 'mknod "$0/sda" b 8 0' "$LFS"
ok "host-root: ... so none was made" test ! -e "$LFS/sda"
out=$(hostroot sh -c 'echo 3 > /proc/sys/vm/drop_caches' 2>&1)
expect_in "host-root: /proc/sys is read-only" "Read-only file system" "$out"
out=$(hostroot grep ^CapBnd /proc/self/status)
ok "host-root: bounding set without sys_admin (bit 21), mknod (27), dac_read_search (2)" \
	sh -c 'b=$((0x$(echo "$0" | cut -f2))); [ $((b >> 21 & 1)) = 0 ] && [ $((b >> 27 & 1)) = 0 ] && [ $((b >> 2 & 1)) = 0 ] && [ $((b & 1)) = 1 ]' "$out"

# chroot: a minimal root made of a static busybox
BB=$(command -v busybox || true)
if [ -n "$BB" ] && file -L "$BB" 2>/dev/null | grep -q 'statically linked'; then
	CR=$T/chroot
	mkdir -p "$CR/bin"
	cp "$BB" "$CR/bin/busybox"
	for a in $("$BB" --list); do [ "$a" = busybox ] || ln -s busybox "$CR/bin/$a"; done
	echo inside > "$B/from-host"
	chroot_run() { "$SBX" run --mode chroot --root "$CR" --builddir "$B" --builddir-in /build \
		--hostname lfs-test --env PATH=/bin -- "$@"; }
	out=$(chroot_run sh -c 'echo pid=$$; cat /proc/1/comm >/dev/null && echo proc1')
	expect_in "chroot: its shell is pid 2 (new pid namespace, init is 1)" "pid=2" "$out"
	expect_in "chroot: /proc shows its own pid 1" "proc1" "$out"
	out=$(chroot_run sh -c 'hostname; uname -n')
	expect_in "chroot: hostname is the spec's" "lfs-test
lfs-test" "$out"
	ok "chroot: /dev/null is writable" chroot_run sh -c 'echo x > /dev/null && test -c /dev/null'
	ok "chroot: /dev/zero, /dev/urandom read" chroot_run sh -c 'head -c 4 /dev/zero | wc -c | grep -q 4 && head -c 4 /dev/urandom | wc -c | grep -q 4'
	mi=$(chroot_run cat /proc/self/mountinfo)
	expect_in "chroot: /dev/pts is a devpts" " /dev/pts rw,nosuid,noexec,relatime - devpts" "$mi"
	expect_in "chroot: /sys is a sysfs" " /sys ro," "$mi"
	expect_in "chroot: /run is a tmpfs" " /run rw,nosuid,nodev,relatime - tmpfs" "$mi"
	expect_in "chroot: /dev/shm is a tmpfs" " /dev/shm rw,nosuid,nodev,relatime - tmpfs" "$mi"
	expect_in "chroot: /proc is a proc" " /proc rw,nosuid,nodev,noexec,relatime - proc" "$mi"
	ok "chroot: a pty can be opened (/dev/ptmx -> pts/ptmx)" chroot_run sh -c 'exec 3<>/dev/ptmx && ls /dev/pts | grep -qx 0'
	ok "chroot: sees the builddir at /build, the cwd" chroot_run sh -c 'test "$PWD" = /build && grep -qx inside from-host && echo out > from-chroot'
	ok "chroot: ... and writes to it" grep -qx out "$B/from-chroot"
	ok "chroot: the host's tree is not visible" chroot_run sh -c "test ! -e $ROOT && test ! -e /usr/bin/id && test ! -e $T"
	ok "chroot: runs as root" chroot_run sh -c 'test "$(id -u)" = 0'
	fails "chroot: cannot mount (no CAP_SYS_ADMIN)" chroot_run mount -t tmpfs none /run
	fails "chroot: cannot make a device node (no CAP_MKNOD)" chroot_run mknod /build/sda b 8 0
	fails "chroot: no network interface but lo" chroot_run sh -c 'ls /sys/class/net | grep -vx lo'
	ok "chroot: the mount points were created in root" test -d "$CR/dev" -a -d "$CR/proc" -a -d "$CR/sys" -a -d "$CR/run" -a -d "$CR/build"
	ok "chroot: nothing of it stays mounted on the host" test "$(cat /proc/self/mountinfo)" = "$mounts_before"
else
	skip "chroot mode" "no static busybox (apt-get install busybox-static)"
fi

# set-up errors: the failing operation and path, exit 125 of the driver
out=$(user /nonexistent/tool 2>&1); rc=$?
ok "error: exit 125 when the set-up fails" test "$rc" = 125
expect_in "error: names the operation and path" "sandbox: exec /nonexistent/tool: No such file or directory" "$out"
out=$("$SBX" run --mode user --root "$LFS" --builddir "$B" --cwd /no/such/dir -- true 2>&1)
expect_in "error: a missing cwd" "sandbox: chdir /no/such/dir: No such file or directory" "$out"
out=$("$SBX" run --mode chroot --root "$T/none" --builddir "$B" -- true 2>&1)
expect_in "error: a missing chroot root" "sandbox: bind-rw $T/none $T/none: No such file or directory" "$out"

# exit status and signals pass through
user sh -c 'exit 7'; rc=$?
ok "status: exit 7 comes back" test "$rc" = 7
user sh -c 'kill -KILL $$'; rc=$?
ok "status: death by SIGKILL comes back (128+9)" test "$rc" = 137

# lfsbuild killed (SIGKILL of the spawner) mid-step: no process and no mount remains
marker() { grep -l "$1" /proc/[0-9]*/environ 2>/dev/null | wc -l; }
for mode in user host-root chroot; do
	[ $mode = chroot ] && [ -z "${CR:-}" ] && continue
	root=$LFS
	[ $mode = chroot ] && root=$CR
	m=sbx-marker-$mode-$$
	"$SBX" run --mode $mode --root "$root" --builddir "$B" --builddir-in /build --env PATH=/bin:/usr/bin \
		--env MARK=$m -- sh -c 'sleep 300 & (sleep 300 &); sleep 300; echo end' &
	spawner=$!
	for _ in $(seq 50); do [ "$(marker $m)" -ge 4 ] && break; sleep 0.1; done
	ok "kill $mode: the step runs (4 processes with the marker)" test "$(marker $m)" -ge 4
	kill -KILL $spawner
	wait $spawner 2>/dev/null
	for _ in $(seq 50); do [ "$(marker $m)" = 0 ] && break; sleep 0.1; done
	ok "kill $mode: no process of the step remains" test "$(marker $m)" = 0
	ok "kill $mode: the host's mounts are unchanged" test "$(cat /proc/self/mountinfo)" = "$mounts_before"
done

# the runner cancels a step: SIGTERM to the spawned pid ends the whole tree
m=sbx-marker-term-$$
"$SBX" run --mode user --root "$LFS" --builddir "$B" --env PATH=/bin:/usr/bin --env MARK=$m -- \
	sh -c 'trap "" TERM; sleep 300 & (sleep 300 &); sleep 300; echo end' &
spawner=$!
for _ in $(seq 50); do [ "$(marker $m)" -ge 4 ] && break; sleep 0.1; done
outer=$(pgrep -P $spawner | head -1)
ok "term: the step runs under the spawned pid" test -n "$outer" -a "$(marker $m)" -ge 4
kill -TERM "$outer"
wait $spawner; rc=$?
ok "term: the spawned pid ends by SIGTERM (128+15)" test "$rc" = 143
ok "term: once it is reaped, no process of the step remains (even one ignoring SIGTERM)" test "$(marker $m)" = 0

# without root: a user namespace gives the same isolation (run as nobody)
if command -v setpriv >/dev/null && [ "$(cat /proc/sys/kernel/unprivileged_userns_clone 2>/dev/null || echo 1)" = 1 ]; then
	cp "$SBX" "$T/sbx" && chmod 755 "$T/sbx"
	asnobody() { setpriv --reuid=$BUILDER --regid=$BUILDER --clear-groups env ASAN_OPTIONS=detect_leaks=0 \
		"$T/sbx" run --mode user --root "$LFS" --builddir "$B" --env PATH=/usr/bin:/bin -- "$@"; }
	out=$(asnobody sh -c "id -u; echo x > /tmp/$probe && echo tmp-ok; echo y > nb && echo build-ok; echo z > /var/tmp/$probe" 2>&1)
	expect_in "userns: keeps the caller's uid" "65534" "$out"
	expect_in "userns: writes /tmp and builddir" "tmp-ok
build-ok" "$out"
	expect_in "userns: /var/tmp is read-only" "Read-only file system" "$out"
	out=$(asnobody sh -c 'tail -n +3 /proc/net/dev | cut -d: -f1 | tr -d " "')
	ok "userns: only lo" test "$out" = lo
	out=$("$T/sbx" run --mode user --explain -- true 2>&1)
	fails "userns: as root no user namespace is planned" grep -q "unshare user" <<<"$out"
	out=$(setpriv --reuid=$BUILDER --regid=$BUILDER --clear-groups env ASAN_OPTIONS=detect_leaks=0 "$T/sbx" run --explain -- true)
	expect_in "userns: planned when not root" "unshare user (map uid 65534 and gid 65534 to themselves" "$out"
else
	skip "user namespace mode" "setpriv missing or unprivileged user namespaces disabled"
fi
