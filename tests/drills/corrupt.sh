# Drill: a cached source is corrupted (a byte flipped in place). The build never unpacks it:
#  A. with the file's mtime changed (any ordinary write): the stamp no longer fits, the file is
#     hashed when the build plans, rejected, and nothing runs;
#  B. behind the stamp's back (size, mtime and inode kept, as `touch -r` or the disk itself
#     would leave it; here the byte is in gzip's CRC, which libarchive does not check): the
#     runner hashes each source as it unpacks it, so the step fails before it starts and the
#     cache stamp is dropped.
# Each time `lfsbuild fetch` (the phase `lfsbuild all` runs first) fetches the file again from
# the origin (a local --mirror-dir here) and the build goes on.
. "$(dirname "$0")/../lib/check.sh"
. "$ROOT/tests/books/lib.bash"

book_setup basic
M=$T/mirror
mkdir -p "$M"
mv "$SRC"/*.tar.gz "$M/"
fetch() { lb fetch --mirror-dir "$M" "$@"; }
flip() { # FILE OFFSET: flip the lowest bit of one byte, in place (same inode, same size)
	local b
	b=$(od -An -tu1 -j "$2" -N1 "$1" | tr -d ' ')
	printf "\\x$(printf %02x $((b ^ 1)))" | dd of="$1" bs=1 seek="$2" conv=notrunc 2>/dev/null
}
ok "the sources are fetched from the mirror directory" fetch -q
A=$SRC/alpha-1.0.tar.gz B=$SRC/beta-2.1.tar.gz
good_a=$(sha256sum <"$M/alpha-1.0.tar.gz" | cut -c1-64) good_b=$(sha256sum <"$M/beta-2.1.tar.gz" | cut -c1-64)

# A. a byte changes, and so does the mtime
ino=$(stat -c %i "$A")
flip "$A" 100
ok "A: the file was changed in place (same inode, same size)" \
	test "$(stat -c %i "$A")" = "$ino" -a "$(stat -c %s "$A")" = "$(stat -c %s "$M/alpha-1.0.tar.gz")"
lb build -j2 >"$T/out" 2>"$T/err"; rc=$?
err=$(cat "$T/err")
ok "A: build exits 1" test "$rc" = 1
expect_in "A: names the file and the mismatch" "source 'alpha': the cached $A does not match the manifest (checksum mismatch: sha256 expected $good_a, got" "$err"
expect_in "A: says no step unpacks it and how to fetch it again" "no step will unpack it; run \`lfsbuild fetch alpha\` to fetch it again (\`lfsbuild fetch --verify\` rechecks every cached file)" "$err"
expect_in "A: nothing was run" "nothing was run" "$err"
ok "A: no step started (no log, no build directory, no root)" test ! -e "$W/logs" -a ! -e "$W/build" -a ! -e "$W/root"
fetch >"$T/out" 2>"$T/err"; rc=$?
ok "A: lfsbuild fetch exits 0" test "$rc" = 0
expect_in "A: fetch says the cached file failed verification" "alpha: the cached $A failed verification (checksum mismatch" "$(cat "$T/err")"
expect_in "A: and fetches it again from the mirror directory" "fetched alpha: alpha-1.0.tar.gz from mirror-dir" "$(cat "$T/out")"
ok "A: the cache holds the good file again" test "$(sha256sum <"$A" | cut -c1-64)" = "$good_a"
ok "A: then the build goes on and completes" lb build -j2 -q
ok "A: with the good content" grep -q "hello from alpha 1.0" "$W/root/usr/alpha/hello.txt"

# B. a byte changes behind the stamp's back: gzip's CRC (8 bytes before the end), mtime restored
mtime=$(sed -n 's/^mtime //p' "$SRC/.lfsbuild/beta-2.1.tar.gz.stamp")
flip "$B" $(( $(stat -c %s "$B") - 6 ))
touch -d "@$mtime" "$B"
ok "B: size, mtime and inode still match the stamp" test "$(stat -c '%s %.9Y %i' "$B")" = \
	"$(sed -n 's/^size //p;s/^mtime //p;s/^inode //p' "$SRC/.lfsbuild/beta-2.1.tar.gz.stamp" | tr '\n' ' ' | sed 's/ $//')"
rm -rf "$W/root/trace"
lb build -j2 --from ch1/beta >"$T/out" 2>"$T/err"; rc=$?
err=$(cat "$T/err")
ok "B: build exits 1" test "$rc" = 1
expect_in "B: the step that uses it fails, naming the file and the mismatch" "ch1/beta: source 'beta': $B changed since it was verified (sha256 $good_b expected," "$err"
expect_in "B: says it was not unpacked and what fetches it again" "so it was not unpacked; \`lfsbuild fetch beta\` fetches it again (\`lfsbuild fetch --verify\` rechecks the whole cache)" "$err"
ok "B: said once as it happens and once in the triage, without the log's copy of it" \
	test "$(grep -c "changed since it was verified" <<<"$err")" = 2 -a -z "$(grep -- "---- last" <<<"$err")"
ok "B: the triage still names the log" grep -q "^full log: $W/logs/ch1/beta.log" <<<"$err"
ok "B: the step did not start (no trace of it)" test ! -e "$W/root/trace/ch1_beta.start"
ok "B: its build directory holds no unpacked source" test -z "$(ls -A "$W/build/ch1_beta" 2>/dev/null)"
ok "B: the cache stamp was dropped" test ! -e "$SRC/.lfsbuild/beta-2.1.tar.gz.stamp"
fetch >"$T/out" 2>"$T/err"; rc=$?
ok "B: lfsbuild fetch (no --verify) exits 0" test "$rc" = 0
expect_in "B: fetch now finds the damage" "beta: the cached $B failed verification (checksum mismatch" "$(cat "$T/err")"
expect_in "B: and fetches it again" "fetched beta: beta-2.1.tar.gz from mirror-dir" "$(cat "$T/out")"
ok "B: the cache holds the good file again" test "$(sha256sum <"$B" | cut -c1-64)" = "$good_b"
out=$(lb build -j2 2>&1); rc=$?
ok "B: then the build resumes and completes" test "$rc" = 0
expect_in "B: rerunning the failed step" "run   ch1/beta (last run failed)" "$out"
ok "B: the step ran this time" test -e "$W/root/trace/ch1_beta.start"
