# lfsbuild shell [STEP]: a shell in the new system (the chroot stages' sandbox) or in one step's
# build directory and sandbox, with -c or typed into through tmux; nothing of it is left after
# it ends, after kill -9 of lfsbuild or of the shell; refused while a build holds the lock.
. "$(dirname "$0")/../lib/check.sh"
. "$ROOT/tests/books/lib.bash"

if [ "$(id -u)" != 0 ]; then
	skip "lfsbuild shell" "needs root"
	exit 0
fi
BB=$(command -v busybox || true)
if [ -z "$BB" ] || ldd "$BB" >/dev/null 2>&1; then
	skip "lfsbuild shell" "no static busybox (apt-get install busybox-static)"
	exit 0
fi

out=$("$LFSBUILD" help shell)
expect_in "help shell: the usage" "usage: lfsbuild [options] shell [STEP]" "$out"
expect_in "help shell: -c COMMAND" "-c, --command COMMAND" "$out"
out=$(setpriv --reuid=65534 --regid=65534 --clear-groups "$LFSBUILD" -C "$T/none" shell -c true 2>&1)
expect_in "not root: refused, saying why" "lfsbuild shell needs root" "$out"
fails_with 1 "not root: exit 1" setpriv --reuid=65534 --regid=65534 --clear-groups "$LFSBUILD" -C "$T/none" shell -c true

book_setup shell
out=$(lb shell -c true 2>&1)
expect_in "no root yet: says how to make one" "no root yet: $W/root does not exist; run \`lfsbuild build --until ch7\` first" "$out"
fails_with 1 "no root yet: exit 1" lb shell -c true
# The root: bash and its libraries (the steps' shell), a static busybox for the rest.
mkdir -p "$W/root/bin"
out=$(lb shell -c true 2>&1)
expect_in "a root without a shell: refused, saying how to get one" "has no shell (/bin/bash or /bin/sh) yet" "$out"
fails_with 1 "... exit 1" lb shell -c true
out=$(lb shell ch2/inside -c true 2>&1)
expect_in "a chroot step without bash in the root: refused" "has no /bin/bash yet" "$out"
for f in /bin/bash $(ldd /bin/bash | grep -o '/[^ ]*'); do cp --parents -L "$f" "$W/root/"; done
cp "$BB" "$W/root/bin/busybox"
for a in $("$BB" --list); do [ -e "$W/root/bin/$a" ] || ln -s busybox "$W/root/bin/$a"; done
fails_with 1 "the book builds up to its last step, which fails" lb build --sequential
ok "the failed step's build directory stays as the failure left it" test -f "$W/build/ch2_broken/alpha-1.0/partial.txt"
ok "a successful step's build directory is removed" test ! -e "$W/build/ch2_inside"
out=$(lb shell nosuch/step -c true 2>&1)
expect_in "unknown step: said" "unknown step 'nosuch/step'" "$out"
fails_with 2 "unknown step: exit 2" lb shell nosuch/step -c true

# inroot: the processes whose root directory is the new system's (pivot_root: readlink says "/").
inroot() {
	local want p
	want=$(stat -c %d:%i "$W/root")
	for p in /proc/[0-9]*; do
		[ "$(stat -L -c %d:%i "$p/root" 2>/dev/null)" = "$want" ] && echo "${p#/proc/} $(cat "$p/comm" 2>/dev/null)"
	done
}
gone() {  # nothing of the shell left: no process in the root, no mount of the work directory
	local i
	for i in $(seq 1 30); do
		[ -z "$(inroot)" ] && [ "$(grep -c "$W" /proc/self/mountinfo)" = 0 ] && return 0
		sleep 0.1
	done
	inroot
	grep "$W" /proc/self/mountinfo
	return 1
}

# ---- the new system, -c ----
touch "$T/host-only"
inside=$(TERM=xterm-lfstest lb -j3 shell -c 'echo hi; cat /etc/lfs-shell-test; hostname; echo "init $(cat /proc/1/comm)"; echo "pid $$";
	test -e '"$T/host-only"' && echo "host file visible" || echo "host file hidden"; ls /;
	for n in mnt pid net uts ipc; do readlink /proc/self/ns/$n; done; env')
expect_in "-c runs in the new root: its file" "made by ch2/inside" "$inside"
expect_in "-c: the output" "hi" "$inside"
expect_in "the host name of the new system" "$(printf 'made by ch2/inside\nlfs\n')" "$inside"
expect_in "pid 1 inside is the sandbox's init" "init sandbox-init" "$inside"
ok "... not the host's ($(cat /proc/1/comm))" sh -c "! printf '%s\n' \"\$1\" | grep -qx 'init $(cat /proc/1/comm)'" _ "$inside"
expect_in "the shell is pid 2 of its own pid namespace" "pid 2" "$inside"
expect_in "the host's files are not visible" "host file hidden" "$inside"
expect_in "/ is the new root" "outside.txt" "$inside"
for n in mnt pid net uts ipc; do
	host=$(readlink /proc/self/ns/$n)
	ok "its own $n namespace (host $host)" sh -c "printf '%s\n' \"\$1\" | grep -q '^$n:' && ! printf '%s\n' \"\$1\" | grep -qx '$host'" _ "$inside"
done
expect_in "the stage's environment (\$LFS expanded to /)" "WHERE=/here" "$inside"
expect_in "HOME=/root" "HOME=/root" "$inside"
expect_in "TERM from the caller" "TERM=xterm-lfstest" "$inside"
expect_in "MAKEFLAGS=-jN as the book's chroot" "MAKEFLAGS=-j3" "$inside"
fails_with 7 "-c 'exit 7' exits 7" lb shell -c 'exit 7'
out=$(lb shell -c 'read -r line || echo "stdin at its end"; ls -l /proc/self/fd/0' <&- 2>&1)
expect_in "lfsbuild without stdin: the command reads /dev/null" "stdin at its end" "$out"
expect_in "... and nothing else" "/proc/self/fd/0 -> /dev/null" "$out"
ok "after -c: nothing left" gone

# ---- a step: prepared when its build directory is gone, the sections as functions ----
out=$(lb -j3 shell ch2/inside -c 'type lfs_build && lfs_build && pwd && cat built.txt && stat -c "mode %a" built.txt &&
	lfs_test && cat tested.txt && umask && env' 2>&1)
expect_in "lfs_build is a shell function" "lfs_build is a function" "$out"
expect_in "the shell starts in the source's top directory" "/build/ch2_inside/alpha-1.0" "$out"
expect_in "lfs_build ran %build there (sources unpacked)" "hello from alpha 1.0" "$out"
expect_in "with the stage's prelude (umask 027)" "mode 640" "$out"
expect_in "lfs_test ran %test there" "tested in /build/ch2_inside/alpha-1.0" "$out"
expect_in "the shell itself ran the prelude" "0027" "$out"
expect_in "the step's environment: SRC_*" "SRC_alpha=/build/ch2_inside/alpha-1.0" "$out"
expect_in "the step's environment: LFS" "LFS=/" "$out"
expect_in "the step's environment: JOBS" "JOBS=3" "$out"
expect_in "the step's job slots: MAKEFLAGS with a jobserver" "MAKEFLAGS=-j3 --jobserver-auth=" "$out"
ok "the build directory was prepared on the host" test -f "$W/build/ch2_inside/alpha-1.0/built.txt"
rm -f "$W/root/etc/lfs-shell-test"
ok "lfs_install runs" lb shell ch2/inside -c lfs_install
ok "... %install, which wrote into the root" grep -q "made by ch2/inside" "$W/root/etc/lfs-shell-test"
mv "$SRC/alpha-1.0.tar.gz" "$T/aside.tar.gz"
rm -rf "$W/build/ch2_inside"
out=$(lb shell ch2/inside -c true 2>&1)
expect_in "a step to prepare whose source is not cached: said, once" "ch2/inside: not all of its sources are in the cache" "$out"
ok "... and no half-made build directory" test ! -e "$W/build/ch2_inside"
mv "$T/aside.tar.gz" "$SRC/alpha-1.0.tar.gz"
out=$(lb shell ch1/outside -c 'type lfs_test' 2>&1)
expect_in "a section the recipe lacks says so" "has no %test section" "$out"

# a failed step: its build directory as the failure left it
out=$(lb shell ch2/broken -c 'ls; lfs_build && echo BUILT; echo "status $?"' 2>&1)
expect_in "shell STEP of a failed step shows its partial state" "partial.txt" "$out"
expect_in "lfs_build fails on the failing command (set -e, also after &&)" "status 1" "$out"
ok "... and runs nothing after it" test ! -e "$W/build/ch2_broken/alpha-1.0/after.txt"
sed -i 's/^false$/nosuchcmd/' "$BOOK/ch2/broken.recipe"
out=$(lb shell ch2/broken -c lfs_build 2>&1)
expect_in "an error in a section names the recipe's line" "lfs_build: line 7: nosuchcmd: command not found" "$out"
sed -i 's/^nosuchcmd$/false/' "$BOOK/ch2/broken.recipe"
ok "no mount point is left in \$LFS" test ! -e "$W/root/build"

# a chapter 4-6 step (mode user): the build uid, on the host's view
out=$(lb shell ch1/outside -c 'id -u; pwd' 2>&1)
expect_in "a user-mode step's shell runs as the build uid" "4242" "$out"
expect_in "... in its build directory on the host" "$W/build/ch1_outside" "$out"
owner=$(stat -c %u:%g "$W/root")
chown 0:0 "$W/root"
out=$(lb shell ch1/outside -c true 2>&1)
expect_in "... and says when \$LFS is not the build uid's (after chapter 7)" "belongs to uid 0, not to the build uid 4242" "$out"
ok "... which it leaves as it is" test "$(stat -c %u "$W/root")" = 0
chown "$owner" "$W/root"
ok "after the step shells: nothing left" gone

# ---- the lock ----
touch "$W/root/hold"
lb_bg build --from ch2/slow --sequential >"$T/bg.log" 2>&1
bpid=$!
for i in $(seq 1 100); do grep -q "build" "$W/state/lock" 2>/dev/null && [ -e "$W/logs/ch2/slow.log" ] && break; sleep 0.1; done
out=$(lb shell -c true 2>&1)
expect_in "refused while a build holds the lock" "a build is running in $W (lfsbuild pid $bpid)" "$out"
fails_with 1 "refused: exit 1" lb shell -c true
rm -f "$W/root/hold"
wait $bpid
ok "the build went on after the refusal (its step ran)" grep -q "ch2/slow" "$T/bg.log"
touch "$W/root/hold"
lb_bg shell -c 'while [ -e /hold ]; do sleep 0.1; done' >"$T/sh.log" 2>&1
spid=$!
for i in $(seq 1 100); do grep -q "shell" "$W/state/lock" 2>/dev/null && break; sleep 0.1; done
out=$(lb build 2>&1)
expect_in "no build starts while a shell is open" "an lfsbuild shell (pid $spid) is open in $W" "$out"
out=$(lb shell -c true 2>&1)
expect_in "one shell at a time" "another lfsbuild shell (pid $spid) is open" "$out"
out=$(lb clean 2>&1)
expect_in "clean is refused too, naming the shell" "an lfsbuild shell is open in $W" "$out"
out=$(lb image -o "$T/x.qcow2" 2>&1)
expect_in "and image of the root it works in" "an lfsbuild shell is open in $W; image its root when it has ended" "$out"
rm -f "$W/root/hold"
wait $spid
src=$?
ok "the first shell ended normally" test "$src" = 0

# ---- interactive, through tmux ----
if ! command -v tmux >/dev/null; then
	skip "interactive shell" "tmux is not installed (scripts/install-deps)"
	exit 0
fi
SOCK=
tm() { tmux -S "$SOCK" "$@"; }
trap 'for s in "$T"/tmux-*.sock; do tmux -S "$s" kill-server 2>/dev/null; done; rm -rf "$T"' EXIT
screen() { tm capture-pane -p -J -t sh; }
wait_for() { # text [seconds]
	local i
	for i in $(seq 1 $((${2:-15} * 10))); do
		screen | grep -qF -- "$1" && return 0
		sleep 0.1
	done
	screen | sed 's/^/#   /'
	return 1
}
# start_shell NAME [ARGS...]: lfsbuild shell on a terminal of its own; its pid in $T/NAME.pid,
# its exit status in $T/NAME.status when it ends (tmux 3.3a now and then leaves its pane's process
# unreaped, and its pane_dead_status empty)
start_shell() {
	NAME=$1
	shift
	SOCK=$T/tmux-$NAME.sock
	tm new-session -d -s sh -x 120 -y 40 "sh -c 'echo \$\$ >$T/$NAME.pid; exec env TERM=screen \"\$@\"' lfsbuild \
		$(printf '%q ' "$LFSBUILD" --book "$BOOK" -C "$W" --sources "$SRC" shell "$@"); echo \$? >$T/$NAME.status; sleep 600"
}
# dead_status: the exit status of the last start_shell ("" if it still runs after 10 s)
dead_status() {
	local i
	for i in $(seq 1 100); do
		[ -s "$T/$NAME.status" ] && break
		sleep 0.1
	done
	cat "$T/$NAME.status" 2>/dev/null
}

start_shell tty
ok "the prompt appears" wait_for "(lfs chroot) root:/# "
tm send-keys -t sh "echo hel''lo-\$((6*7)); tty" Enter
ok "a command's output appears" wait_for "hello-42"
ok "its terminal is a pty of the sandbox's own /dev/pts" wait_for "/dev/pts/0"
tm resize-window -t sh -x 90 -y 25
sleep 0.3
tm send-keys -t sh "stty size" Enter
ok "a new window size reaches the shell's terminal" wait_for "25 90"
ok "while it runs, its bash is in the root" test -n "$(inroot | grep bash)"
tm send-keys -t sh "sleep 300 &" Enter "exit" Enter
st=$(dead_status)
ok "exit ends it, with the shell's status 0 ($st)" test "$st" = 0
ok "after exit: no process in the root (not even the background job), no mount of the work directory" gone

start_shell step ch2/broken
ok "a step's prompt" wait_for "(lfs ch2/broken) root:/build/ch2_broken/alpha-1.0# "
ok "it says that the build directory is as the failed run left it" wait_for "as the failed run left it"
tm send-keys -t sh "ls; type -t lfs_install" Enter
ok "the failed step's files are there" wait_for "partial.txt"
ok "the functions are defined" wait_for "function"
pid=$(cat "$T/step.pid")
ok "while it runs, its bash is in the root" test -n "$(inroot | grep bash)"
kill -9 "$pid"
ok "after kill -9 of lfsbuild: nothing left" gone

start_shell kill
ok "the prompt appears again" wait_for "(lfs chroot) root:/# "
bash_pid=$(inroot | awk '$2 == "bash" {print $1}' | head -1)
ok "the shell's bash is found ($bash_pid)" test -n "$bash_pid"
kill -9 "$bash_pid"
st=$(dead_status)
ok "kill -9 of the shell ends lfsbuild, with 128+9 ($st)" test "$st" = 137
ok "after kill -9 of the shell: nothing left" gone

# kill -9 of lfsbuild running -c in the background
lb_bg shell -c 'sleep 300' >/dev/null 2>&1
pid=$!
for i in $(seq 1 100); do inroot | grep -q sleep && break; sleep 0.1; done
ok "-c: the command runs in the root" test -n "$(inroot | grep sleep)"
kill -9 "$pid"
wait "$pid" 2>/dev/null
ok "after kill -9 of lfsbuild -c: nothing left" gone
ok "the lock is free again: a build starts" lb build --until ch2/inside
