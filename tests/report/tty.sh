# The TTY status area for real, in tmux: the demo driver in build/san/tests/test_report_tty
# (TTY_DEMO_DIR) plays a small build on a terminal; we look at the screen between its phases.
# Then the same on a real `lfsbuild build`, whose status area the scheduler feeds in-process.
. "$(dirname "$0")/../lib/check.sh"

DRIVER=$ROOT/build/san/tests/test_report_tty
if ! command -v tmux >/dev/null; then
	skip "tmux status area" "tmux is not installed (scripts/install-deps)"
	exit 0
fi
if [ ! -x "$DRIVER" ]; then
	skip "tmux status area" "$DRIVER is not built (make check builds it)"
	exit 0
fi
# One tmux server per session, its socket inside $T (a server just killed may still hold its
# socket for a moment: a new session on the same socket can fail).
SOCK=
tm() { tmux -S "$SOCK" "$@"; }
new_server() { [ -z "$SOCK" ] || tm kill-server 2>/dev/null; SOCK=$T/tmux-$1.sock; }
trap 'for s in "$T"/tmux-*.sock; do tmux -S "$s" kill-server 2>/dev/null; done; rm -rf "$T"' EXIT
screen() { tm capture-pane -p -t demo | sed -e :a -e '/^\n*$/{$d;N;ba' -e '}'; }  # without trailing blank rows
wait_for() { # text [seconds]
	local i
	for i in $(seq 1 $((${2:-10} * 10))); do
		screen | grep -qF -- "$1" && return 0
		sleep 0.1
	done
	return 1
}

# run_demo COLS ROWS [env...]: start the driver in a fresh tmux session "demo".
run_demo() {
	local cols=$1 rows=$2
	shift 2
	D=$T/demo-$cols
	rm -rf "$D"
	mkdir -p "$D"
	new_server "demo-$cols"
	tm new-session -d -s demo -x "$cols" -y "$rows" \
		"env TERM=xterm-256color $* TTY_DEMO_DIR=$D $DRIVER; sleep 60"
}

run_demo 72 16
ok "the demo starts two steps" wait_for "start ch5/linux-headers"
sleep 1.2
s1=$(screen)
n=$(printf '%s\n' "$s1" | wc -l)
area=$(printf '%s\n' "$s1" | tail -3)
expect_in "status line: done/total and running count" "1/6 steps  2 running" "$(printf '%s\n' "$area" | head -1)"
expect_in "status line: an ETA with the assumed SBU" "ETA ~" "$area"
expect_in "a row per running step: binutils" "  ch5/binutils-pass1" "$(printf '%s\n' "$area" | sed -n 2p)"
expect_in "a row per running step: linux-headers" "  ch5/linux-headers" "$(printf '%s\n' "$area" | sed -n 3p)"
expect_in "the log lines scroll above the area" "start ch5/linux-headers" "$(printf '%s\n' "$s1" | sed -n "$((n - 3))p")"
el1=$(printf '%s\n' "$area" | sed -n 2p | awk '{print $2}')
sleep 2.2
el2=$(screen | tail -2 | head -1 | awk '{print $2}')
ok "the running step's elapsed time advances with the ticks ($el1 -> $el2)" test "$el1" != "$el2"
w=$(screen | awk '{ if (length($0) > m) m = length($0) } END { print m }')
ok "no row is wider than the terminal" test "$w" -le 72

touch "$D/go1"
ok "steps finish and others start" wait_for "start ch5/glibc-with-a-rather-long-step-name-to-cut"
sleep 0.3
s2=$(screen)
ok "exactly one status area on the screen" test "$(printf '%s\n' "$s2" | grep -c ' steps  ')" = 1
expect_in "the area shows the new counts" "3/6 steps  2 running" "$(printf '%s\n' "$s2" | tail -3 | head -1)"
ok "the measured SBU replaces the assumption (no ~)" sh -c "printf '%s\n' '$(printf '%s\n' "$s2" | tail -3 | head -1)' | grep -q 'running  ETA [0-9]'"
ok "the finished step left the area" test "$(printf '%s\n' "$s2" | tail -2 | grep -c binutils)" = 0
ok "each log line appears once" test "$(printf '%s\n' "$s2" | grep -c 'done  ch5/binutils-pass1')" = 1
tm capture-pane -p -e -t demo >"$T/esc"
ok "colours on a terminal" grep -q $'\033\\[32m' "$T/esc"

touch "$D/go2"
ok "the demo ends" wait_for "DEMO END"
s3=$(screen)
ok "the status area is erased at the end" test "$(printf '%s\n' "$s3" | grep -c ' steps  ')" = 0
expect_in "the failure is a log line" "FAIL  ch5/glibc-with-a-rather-long-step-name-to-cut exit 2" "$s3"
ok "no line was left twice" test "$(printf '%s\n' "$s3" | grep -c 'start ch5/gcc-pass1')" = 1
touch "$D/go3"

# A narrow terminal with NO_COLOR: the area is still there, cut to 40 columns, no colours.
run_demo 40 14 NO_COLOR=1
ok "narrow: the demo runs" wait_for "start ch5/linux-headers"
sleep 1.2
s4=$(screen)
area=$(printf '%s\n' "$s4" | tail -3)
expect_in "narrow: the status line is there" "1/6 steps" "$(printf '%s\n' "$area" | head -1)"
expect_in "narrow: the running rows are there (not wrapped)" "  ch5/linux-headers" "$(printf '%s\n' "$area" | sed -n 3p)"
w=$(printf '%s\n' "$area" | awk '{ if (length($0) > m) m = length($0) } END { print m }')
ok "narrow: the area is cut to the width ($w <= 40)" test "$w" -le 40
tm capture-pane -p -e -t demo >"$T/esc"
ok "NO_COLOR: no colours" sh -c "! grep -q \$'\\033\\\\[3[0-9]m' '$T/esc'"
touch "$D/go1" "$D/go2"
ok "narrow: the demo ends" wait_for "DEMO END"
ok "narrow: the status area is erased" test "$(screen | grep -c ' steps')" = 0
touch "$D/go3"

# The real thing: `lfsbuild build` on a synthetic book (4 steps of 4-7 s on 2 slots).
. "$ROOT/tests/books/lib.bash"
book_setup wide
i=0
for f in "$BOOK"/ch1/w*.recipe; do
	i=$((i + 1))
	sed -i "s/sleep 1/sleep $((i + 3))/" "$f"
done
printf '%q ' "$LFSBUILD" --book "$BOOK" -C "$W" --sources "$SRC" build -j2 >"$T/cmd"
new_server build
tm new-session -d -s demo -x 90 -y 20 "env TERM=xterm-256color bash $T/cmd; echo BUILD EXIT \$?; sleep 60"
ok "real build: two steps start" wait_for "start ch1/w2" 20
sleep 2.2
s5=$(screen)
expect_in "real build: the status area counts" "/4 steps  2 running" "$(printf '%s\n' "$s5" | tail -3 | head -1)"
expect_in "real build: a running step's row" "  ch1/w" "$(printf '%s\n' "$s5" | tail -1)"
st=$("$LFSBUILD" -C "$W" status 2>&1)
expect_in "real build: status from another process sees it alive" "is alive" "$st"
expect_in "real build: status names the running steps" "  ch1/w2" "$st"
ok "real build: it ends" wait_for "BUILD EXIT 0" 30
s6=$(screen)
ok "real build: the status area is erased at the end" test "$(printf '%s\n' "$s6" | grep -c ' steps  ')" = 0
expect_in "real build: the last line is the build's" "build complete: 4 steps run" "$s6"
