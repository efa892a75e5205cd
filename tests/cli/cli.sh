# The command line: help, version, usage errors, commands not delivered yet.
. "$(dirname "$0")/../lib/check.sh"

out=$("$LFSBUILD" --help 2>&1)
expect_in "--help lists the commands" "check-host" "$out"
expect_in "--help lists the global options" "--sources DIR" "$out"
out=$("$LFSBUILD" --version)
expect_in "--version names the book" "LFS 12.3-systemd" "$out"
out=$("$LFSBUILD" help fetch)
expect_in "help fetch shows its options" "--mirror-dir DIR" "$out"

"$LFSBUILD" frobnicate >"$T/o" 2>"$T/e"; rc=$?
ok "unknown command exits 2" test "$rc" = 2
ok "unknown command: usage on stderr" grep -q "usage: lfsbuild" "$T/e"
ok "unknown command: nothing on stdout" test ! -s "$T/o"
"$LFSBUILD" fetch --frob >"$T/o" 2>"$T/e"; rc=$?
ok "unknown option exits 2" test "$rc" = 2
ok "unknown option is named" grep -q -- "--frob" "$T/e"
"$LFSBUILD" -j zero graph 2>"$T/e"; rc=$?
ok "bad -j value exits 2" test "$rc" = 2
"$LFSBUILD" 2>"$T/e"; rc=$?
ok "no command exits 2" test "$rc" = 2
