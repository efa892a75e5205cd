# The runner copies a step's test log (lfsbuild-tests.log in its build directory) into
# logs/tests/ as root. A step owns its build directory: one that replaces its test log by a
# symlink to a file of the host (a secret file, /etc/shadow) must not get that file copied.
# The copy is refused with a warning naming the symlink; the file's content appears nowhere
# under the work directory; the build itself goes on.
. "$(dirname "$0")/../lib/check.sh"
. "$ROOT/tests/books/lib.bash"

book_setup testlog
MARK=lfsbuild-secret-$$-$RANDOM
SECRET=$T/secret
printf '%s\n' "$MARK" >"$SECRET"
chmod 600 "$SECRET"
sed -i "s|@SECRET@|$SECRET|" "$BOOK/stages"

lb build -j2 --tests --keep >"$T/out" 2>"$T/err"; rc=$?
err=$(cat "$T/err")
ok "the build succeeds (a test log not copied is a warning)" test "$rc" = 0
ok "ch1/secret planted its test log as a symlink" test -L "$W/build/ch1_secret/lfsbuild-tests.log"
expect_in "the warning names the symlink and its target" \
	"cannot copy the test log to $W/logs/tests/ch1/secret.log: $W/build/ch1_secret/lfsbuild-tests.log is a symlink (-> $SECRET): not copied" "$err"
ok "no test log was written for ch1/secret" test ! -e "$W/logs/tests/ch1/secret.log"
expect_in "ch1/shadow: refused too" "$W/build/ch1_shadow/lfsbuild-tests.log is a symlink (-> /etc/shadow): not copied" "$err"
ok "no test log was written for ch1/shadow" test ! -e "$W/logs/tests/ch1/shadow.log"
expect_in "ch1/early (a relative symlink planted in %build): refused" \
	"$W/build/ch1_early/lfsbuild-tests.log is a symlink (-> ../../../../../../../../../..$SECRET): not copied" "$err"
ok "no test log was written for ch1/early" test ! -e "$W/logs/tests/ch1/early.log"
ok "the secret's content appears nowhere under the work directory" bash -c '! grep -rqF -- "$1" "$2"' _ "$MARK" "$W"
if [ -r /etc/shadow ] && [ -s /etc/shadow ]; then
	ok "no line of /etc/shadow appears under the work directory" bash -c '! grep -rqxF -f /etc/shadow -- "$1"' _ "$W"
else
	skip "no line of /etc/shadow appears under the work directory" "/etc/shadow is not readable here"
fi
ok "the secret file is unchanged" test "$(cat "$SECRET")" = "$MARK"
ok "every step is stamped done" test "$(grep -l '^result ok' "$W"/state/stamps/ch1/*.stamp | wc -l)" = 3

# Without --tests (no %test runs; the steps with one run again), the same.
lb build -j2 --keep >"$T/out" 2>"$T/err"; rc=$?
ok "a build without --tests succeeds" test "$rc" = 0
expect_in "and refuses the symlink of ch1/secret" "$W/build/ch1_secret/lfsbuild-tests.log is a symlink (-> $SECRET): not copied" "$(cat "$T/err")"
ok "the secret still appears nowhere under the work directory" bash -c '! grep -rqF -- "$1" "$2"' _ "$MARK" "$W"
