# Chapter 5 for real: the cross toolchain (binutils and GCC pass 1 with GMP, MPFR and MPC, the
# Linux API headers, glibc, libstdc++) built from the Debian source archive by `lfsbuild build
# --until ch5`, with the book's sanity check (ch5/toolchain-check) as its last step. About half
# an hour on 2 cores at -j2 (1914 s beside two busy loops, 2026-12-06). Every change to the engine or the sandbox is proven on it.
#   LFSBUILD_SKIP_REAL=1   skips it (a quick local run)
#   LFSBUILD_CI_SOURCES=D  a source cache to share between runs (default: a fresh one)
. "$(dirname "$0")/../lib/check.sh"

if [ "${LFSBUILD_SKIP_REAL:-}" = 1 ]; then
	skip "chapter 5 built for real" "LFSBUILD_SKIP_REAL=1"
	exit 0
fi
if [ "$(id -u)" != 0 ]; then
	skip "chapter 5 built for real" "needs root (the build uid switch)"
	exit 0
fi

# The build uid must reach the work directory: not under a 0700 directory.
W=$(mktemp -d /var/tmp/lfsbuild-ch5.XXXXXX)
chmod 755 "$W"
trap 'rm -rf "$W" "$T"' EXIT
SRC=${LFSBUILD_CI_SOURCES:-$W/sources}
L=("$LFSBUILD" --book "$ROOT/book" -C "$W/work" --sources "$SRC")

ok "fetch the sources of chapter 5 from the Debian archive" \
	"${L[@]}" fetch binutils gcc gmp mpfr mpc linux glibc
start=$(date +%s)
"${L[@]}" build --until ch5 >"$T/build.out" 2>&1
rc=$?
ok "lfsbuild build --until ch5 completes (exit $rc, $(( $(date +%s) - start ))s)" test "$rc" = 0
[ "$rc" = 0 ] || { tail -40 "$T/build.out" | sed 's/^/#   /'; }
grep -E '^\[..:..:..\] (done|FAIL)' "$T/build.out" | sed 's/^/# /'

ok "the sanity check ran and passed" grep -q "result ok" "$W/work/state/stamps/ch5/toolchain-check.stamp"
tools=$W/work/root/tools/bin
ok "the cross compiler is installed" test -x "$tools/x86_64-lfs-linux-gnu-gcc"
out=$("$tools/x86_64-lfs-linux-gnu-gcc" --version 2>&1 | head -1)
expect_in "it is GCC 14.2" "14.2" "$out"

# Independently of the recipe's own check: a program made by the cross compiler asks for the
# new system's dynamic linker and finds glibc and libstdc++ in $LFS.
printf 'int main(void){return 0;}\n' >"$T/a.c"
printf '#include <iostream>\nint main(){std::cout<<"x";}\n' >"$T/a.cc"
ok "the cross gcc links a C program" "$tools/x86_64-lfs-linux-gnu-gcc" -o "$T/a" "$T/a.c"
out=$(readelf -l "$T/a" 2>&1)
expect_in "its interpreter is /lib64/ld-linux-x86-64.so.2" "[Requesting program interpreter: /lib64/ld-linux-x86-64.so.2]" "$out"
ok "the cross g++ links a C++ program with the new libstdc++" "$tools/x86_64-lfs-linux-gnu-g++" -o "$T/b" "$T/a.cc"
out=$(readelf -d "$T/b" 2>&1)
expect_in "it needs libstdc++.so.6" "libstdc++.so.6" "$out"
ok "glibc is in \$LFS/usr/lib" test -e "$W/work/root/usr/lib/libc.so.6"
# binutils-pass1 is configured with --enable-deterministic-archives: the static archives made
# with its ar carry time 0 in their symbol table (docs/REPRODUCIBILITY.md: the only difference
# of ch5/glibc and ch5/libstdc++ when built twice). An ar archive: "!<arch>\n", then the first
# member's header, its name (16 bytes, "/" for the symbol table) and its date (12 bytes).
for a in usr/lib/libc.a usr/lib/libstdc++.a; do
	ok "$a: its symbol table's date is 0 (deterministic archives)" \
		test "$(head -c 24 "$W/work/root/$a" | tail -c 16 | tr -d ' ')/$(head -c 36 "$W/work/root/$a" | tail -c 12 | tr -d ' ')" = "//0"
done
ok "the dynamic linker is in \$LFS/lib64" test -e "$W/work/root/lib64/ld-linux-x86-64.so.2"

# Run again: everything is up to date, nothing runs.
s=$(date +%s%N)
"${L[@]}" build --until ch5 >"$T/again.out" 2>&1
rc=$?
ms=$(( ($(date +%s%N) - s) / 1000000 ))
ok "a second build --until ch5 exits 0" test "$rc" = 0
fails "... and starts no step (${ms} ms)" grep -q '\] start ' "$T/again.out"
ok "no mount left on the host" sh -c "! grep -q '$W' /proc/self/mountinfo"
