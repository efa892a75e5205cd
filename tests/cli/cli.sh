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

# check-host on this machine: `make deps` installed everything, so it must pass.
"$LFSBUILD" check-host >"$T/o" 2>&1; rc=$?
ok "check-host passes on a host with the deps installed" test "$rc" = 0
ok "check-host prints the table header" grep -q "^requirement" "$T/o"
ok "check-host checks g++ by compiling" grep -q "g++ compiles and links .*ok" "$T/o"
ok "check-host checks mke2fs -d" grep -q "mke2fs with -d .*ok" "$T/o"
# A host without qemu: hide it from PATH and the table says missing, with the apt-get line.
mkdir -p "$T/bin"
for p in bash sh ld bison yacc sort diff find gawk awk gcc g++ grep gzip m4 make patch perl python3 sed tar texi2any xz mke2fs mkfs.vfat fsck.vfat mcopy qemu-img as cc1 collect2; do
	w=$(command -v "$p") && ln -sf "$w" "$T/bin/$p"
done
PATH="$T/bin" "$LFSBUILD" check-host >"$T/o" 2>&1; rc=$?
ok "check-host without qemu-system exits 1" test "$rc" = 1
ok "check-host names the missing tool" grep -q "qemu-system-x86_64 .*missing" "$T/o"
ok "check-host prints one apt-get line" grep -q "^  apt-get install .*qemu-system-x86" "$T/o"
# the install line is for the host it runs on (its os-release; LFSBUILD_OS_RELEASE for this test)
printf 'NAME="Ubuntu"\nVERSION_ID="24.04"\nID=ubuntu\n' >"$T/osr-ubuntu"
LFSBUILD_OS_RELEASE="$T/osr-ubuntu" PATH="$T/bin" "$LFSBUILD" check-host >"$T/o" 2>&1
ok "check-host on Ubuntu 24.04: says so" grep -q "To install on this Ubuntu 24.04:" "$T/o"
ok "check-host on Ubuntu 24.04: the apt-get line" grep -q "^  apt-get install .*qemu-system-x86" "$T/o"
printf 'ID=fedora\nVERSION_ID=40\n' >"$T/osr-fedora"
LFSBUILD_OS_RELEASE="$T/osr-fedora" PATH="$T/bin" "$LFSBUILD" check-host >"$T/o" 2>&1; rc=$?
ok "check-host on an unknown distribution: still exits 1" test "$rc" = 1
ok "check-host on an unknown distribution: says what os-release says" grep -q "osr-fedora says ID=fedora VERSION_ID=40" "$T/o"
ok "check-host on an unknown distribution: no apt-get line" bash -c "! grep -q 'apt-get' '$T/o'"
ok "check-host on an unknown distribution: the Debian names to look for" grep -q "^  .*qemu-system-x86" "$T/o"
