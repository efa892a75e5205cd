# Drill: steps of the user mode (chapters 4-6) and of the host-root mode (ch7/changingowner) try
# to write to the host's /usr and /etc: denied ("Read-only file system"), the steps fail with
# that in their log and in the triage, and the host is untouched. A write to /tmp lands in the
# step's private /tmp, never in the host's.
. "$(dirname "$0")/../lib/check.sh"
. "$ROOT/tests/books/lib.bash"

if [ "$(id -u)" != 0 ]; then
	skip "host-write drill" "needs root (steps run as the build uid; host-root mode)"
	exit 0
fi
MARK=lfsbuild-drill-$$-$RANDOM
book_setup hostwrite
sed -i "s/@MARKER@/$MARK/" "$BOOK/stages"
usr_before=$(stat -c '%Y.%y %h' /usr)
lb build -k -j2 >"$T/out" 2>"$T/err"; rc=$?
err=$(cat "$T/err")
ok "the build fails (exit 1)" test "$rc" = 1
ok "the step that writes into \$LFS succeeded, as the build uid" grep -qx "written by 4242" "$W/root/usr/bin/inlfs.txt"
for s in usrwrite etctouch rootwrite; do
	ok "ch1/$s failed" grep -q '^result failed' "$W/state/stamps/ch1/$s.stamp"
	ok "ch1/$s: its log says Read-only file system" grep -q "Read-only file system" "$W/logs/ch1/$s.log"
done
expect_in "the log names the command and the path" "lfsbuild.sh: line 6: /usr/$MARK: Read-only file system" \
	"$(cat "$W/logs/ch1/usrwrite.log")"
ok "the step stopped at the denied write" sh -c "! sed -n '/^# ---- output/,\$p' '$W/logs/ch1/usrwrite.log' | grep -q 'not reached'"
expect_in "touch says so too" "touch: cannot touch '/etc/$MARK': Read-only file system" "$(cat "$W/logs/ch1/etctouch.log")"
expect_in "and mkdir as root (no capability reaches the host)" "mkdir: cannot create directory '/usr/$MARK': Read-only file system" \
	"$(cat "$W/logs/ch1/rootwrite.log")"
for s in usrwrite etctouch rootwrite; do
	expect_in "the triage names ch1/$s" "lfsbuild: step ch1/$s (" "$err"
done
ok "the triage shows the reason for all three" test "$(grep -c 'Read-only file system' "$T/err")" -ge 3
expect_in "and says what it means" "lfsbuild: ch1/usrwrite tried to write outside \$LFS and its build directory: a step of mode user sees the rest of the host read-only" "$err"
expect_in "also for host-root" "lfsbuild: ch1/rootwrite tried to write outside \$LFS and its build directory: a step of mode host-root" "$err"
ok "the step writing to /tmp succeeded (its private /tmp)" grep -q '^result ok' "$W/state/stamps/ch1/tmpwrite.stamp"
ok "the host's /usr has no such file" test ! -e "/usr/$MARK"
ok "the host's /etc has no such file" test ! -e "/etc/$MARK"
ok "the host's /tmp has no such file" test ! -e "/tmp/$MARK"
ok "the host's /usr is unchanged (mtime, links)" test "$(stat -c '%Y.%y %h' /usr)" = "$usr_before"
