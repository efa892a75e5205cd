# --icecream: a compile farm made here, in network namespaces of the test's own (an
# icecc-scheduler and two iceccd "helpers", each with an address of its own on a bridge that
# leads nowhere else), and lfsbuild in a namespace of that bridge too, running its own iceccd
# (--icecream=SCHEDULER). A synthetic book builds one package three times: cross-compiled in a
# user stage (chapter 6's way: the "cross compiler" is the host's gcc under the book's name),
# natively in a chroot stage (chapter 8's way: the chroot holds the host's gcc and binutils), and
# once more in the chroot with `icecream no`. Built once without and once with --icecream, every
# installed file is the same; the helpers' logs show the compile jobs they ran (so a silent
# fallback to local compiles fails the test); the step that says `icecream no` sent them nothing.
# Every daemon is killed and every namespace deleted at the end, also when the test fails.
. "$(dirname "$0")/../lib/check.sh"
. "$ROOT/tests/books/lib.bash"

if [ "$(id -u)" != 0 ]; then
	skip "icecream" "needs root (network namespaces, the chroot stage)"
	exit 0
fi
for t in icecc iceccd icecc-scheduler icecc-create-env ip unshare; do
	if ! command -v "$t" >/dev/null && ! [ -x "/usr/sbin/$t" ]; then
		skip "icecream" "no $t (make deps installs icecc and iproute2)"
		exit 0
	fi
done
PATH=$PATH:/usr/sbin

# ---- the farm: namespaces, daemons; all of it goes at exit ----
NS=lfsbice$$
NETS="${NS}s ${NS}h1 ${NS}h2 ${NS}c ${NS}br"
PIDS=
had_run_icecc=false
[ -d /var/run/icecc ] && had_run_icecc=true
cleanup() {
	for p in $PIDS; do kill "$p" 2>/dev/null; done
	sleep 0.3
	for p in $PIDS; do kill -9 "$p" 2>/dev/null; done
	for n in $NETS; do ip netns del "$n" 2>/dev/null; done
	# iceccd as root makes /var/run/icecc (Debian's service would): not left behind if it was not there
	$had_run_icecc || rmdir /var/run/icecc 2>/dev/null
	[ -n "${ICECREAM_TEST_KEEP:-}" ] || rm -rf "$T"   # set: kept, to look at (the daemons' logs)
}
trap cleanup EXIT

NET=10.231.77
for n in $NETS; do
	ip netns add "$n" && ip -n "$n" link set lo up || { echo "not ok - cannot make network namespace $n"; exit 1; }
done
ip -n "${NS}br" link add br0 type bridge && ip -n "${NS}br" link set br0 up
k=0
for pair in "${NS}s 1" "${NS}h1 2" "${NS}h2 3" "${NS}c 10"; do
	set -- $pair
	k=$((k + 1))
	ip link add name eth0 netns "$1" type veth peer name p$k netns "${NS}br"
	ip -n "${NS}br" link set p$k master br0 && ip -n "${NS}br" link set p$k up
	ip -n "$1" addr add "$NET.$2/24" dev eth0 && ip -n "$1" link set eth0 up
done
ok "the namespaces have no route but their own /24" sh -c "! ip -n ${NS}c route | grep -q default"

# The daemons drop root for the icecc user (Debian's package makes it), else nobody: their
# directory is theirs. The helpers see a /proc/stat that never changes, so they always count as
# idle: on this one machine the build itself (and whatever else runs) would otherwise make them
# report themselves busy, and the scheduler would give them nothing.
F=$T/farm
chmod 755 "$T"
mkdir -p "$F"
fu=$(id -u icecc 2>/dev/null || echo 65534)
fg=$(id -g icecc 2>/dev/null || echo 65534)
chown "$fu:$fg" "$F"
{ echo "cpu  1 0 1 1000 0 0 0 0 0 0"; echo "cpu0 1 0 1 1000 0 0 0 0 0 0"; } >"$F/stat"
chmod 644 "$F/stat"
ip netns exec "${NS}s" icecc-scheduler -l "$F/scheduler.log" -vvv >/dev/null 2>&1 &
PIDS="$PIDS $!"
for h in 1 2; do
	ICECC_TEST_SOCKET=$F/h$h.socket ip netns exec "${NS}h$h" unshare -m --propagation private \
		sh -c 'mount --bind "$1" /proc/stat && shift && exec "$@"' sh "$F/stat" \
		iceccd -s "$NET.1" -N "helper$h" -m 2 -b "$F/h$h-envs" -l "$F/helper$h.log" -vvv >/dev/null 2>&1 &
	PIDS="$PIDS $!"
done
for i in $(seq 600); do   # at most 60 s
	grep -q 'login helper1' "$F/scheduler.log" 2>/dev/null && grep -q 'login helper2' "$F/scheduler.log" && break
	sleep 0.1
done
ok "the scheduler and both helpers are up (their own addresses, $NET.1-3)" \
	sh -c "grep -q 'login helper1' '$F/scheduler.log' && grep -q 'login helper2' '$F/scheduler.log'"

# ---- the book, the package, the roots ----
book_setup icecream
P=$T/mk/pkg-1.0
mkdir -p "$P"
for i in $(seq -w 1 12); do
	cat >"$P/m$i.c" <<EOF
#include <stdio.h>
#include <string.h>
#define SCALE(x) ((x) * 1$i + 7)
static unsigned table$i[64];
unsigned f$i(const char *s)
{
	unsigned h = 1$i;
	for (int k = 0; k < 64; k++) table$i[k] = SCALE(k) ^ (unsigned)k << 3;
	while (*s) h = h * 31 + table$i[(unsigned char)*s++ & 63];
	if (h % 97 == 0) fprintf(stderr, "%s: %u\n", __FILE__, h);
	return h + (unsigned)strlen("$i");
}
EOF
done
for i in 1 2 3; do
	cat >"$P/c$i.cc" <<EOF
#include <map>
#include <string>
std::map<std::string, unsigned> count$i(const std::string &s)
{
	std::map<std::string, unsigned> m;
	for (size_t k = 0; k + $i <= s.size(); k++) m[s.substr(k, $i)]++;
	return m;
}
EOF
done
cat >"$P/main.cc" <<'EOF'
#include <cstdio>
#include <map>
#include <string>
#include <vector>
extern "C" { unsigned f01(const char *); unsigned f12(const char *); }
std::map<std::string, unsigned> count1(const std::string &), count2(const std::string &), count3(const std::string &);
static std::vector<std::string> names = {"alpha", "beta", "gamma"};
int main() { unsigned h = 0; for (const auto &n : names) h += f01(n.c_str()) ^ f12(n.c_str()) ^ count2(n).size(); std::printf("%u\n", h); return 0; }
EOF
# one object with debug information, a macro in the middle of a line: see the check below
cat >"$P/debug.c" <<'EOF'
#include <stdio.h>
#define NAME "debug"
int debug(int x) { if (x > 3) printf("%s %d\n", NAME, x); return x * 2 + (int)sizeof NAME; }
EOF
cat >"$P/Makefile" <<'EOF'
CC ?= cc
CXX ?= c++
CFLAGS = -O2
OBJS = $(patsubst %.c,%.o,$(wildcard m*.c))
PREFIX = /opt/pkg
all: libpkg.a libpkg.so pkg debug.o
%.o: %.c
	$(CC) $(CFLAGS) -fPIC -c $< -o $@
libpkg.a: $(OBJS)
	ar rcD $@ $(OBJS)
libpkg.so: $(OBJS)
	$(CC) -shared -o $@ $(OBJS)
%.o: %.cc
	$(CXX) $(CFLAGS) -c $< -o $@
pkg: main.o c1.o c2.o c3.o libpkg.a
	$(CXX) -o $@ main.o c1.o c2.o c3.o libpkg.a
debug.o: debug.c
	$(CC) -O2 -g -c debug.c -o $@
install: all
	mkdir -p $(DESTDIR)$(PREFIX)
	cp libpkg.a libpkg.so pkg debug.o $(DESTDIR)$(PREFIX)/
EOF
touch -d @1700000000 "$P"/* "$P"
tar -C "$T/mk" --sort=name --owner=0 --group=0 --numeric-owner --mtime=@1700000000 -czf "$SRC/pkg-1.0.tar.gz" pkg-1.0
printf 'source pkg\n  upstream 1.0 http://127.0.0.1:9/pkg-1.0.tar.gz sha256=%s\n' \
	"$(sha256sum "$SRC/pkg-1.0.tar.gz" | cut -d' ' -f1)" >>"$BOOK/sources"

# $LFS: the host's compiler, binutils, make and the tools icecc-create-env runs (ldd, file,
# objcopy, tar, gzip, ...), each with its libraries, where the host has them; and the "cross
# compiler" of the user stage: the host's gcc under the book's name in $LFS/tools/bin.
R=$W/root
mkdir -p "$R/usr/bin" "$R/usr/sbin" "$R/usr/lib" "$R/usr/lib64" "$R/etc" "$R/tmp" "$R/root" "$R/tools/bin"
for d in bin sbin lib lib64; do [ -L "/$d" ] && ln -sfn "usr/$d" "$R/$d"; done
put() {   # put FILE...: at its canonical place in $R (content of what a link names)
	local f dir
	for f; do
		dir=$(readlink -f "$(dirname "$f")")
		mkdir -p "$R$dir"
		cp -L "$f" "$R$dir/$(basename "$f")"
	done
}
libs_of() { ldd "$@" 2>/dev/null | grep -o '/[^ :]*' | sort -u; }
tools="bash sh make gcc g++ cc c++ cpp as ld ld.bfd ar ranlib nm objcopy objdump strip readelf cat cp mv rm
       mkdir rmdir ln ls chmod chown touch head tail cut sort uniq tr wc tee dirname basename readlink
       realpath mktemp md5sum sha256sum env uname id true false sleep printf echo test pwd date expr sed
       grep gawk awk find xargs tar gzip file ldd ldconfig cmp"
bins=
for t in $tools; do b=$(type -P "$t") && bins="$bins $b"; done
# shellcheck disable=SC2086
put $bins
gl=$(dirname "$(gcc -print-libgcc-file-name)")
tar -C / -cf - --exclude='*asan*' --exclude='*tsan*' --exclude='*lsan*' --exclude='*ubsan*' --exclude='ada*' \
	--exclude=gnat1 --exclude=f951 --exclude=lto1 --exclude='*fortran*' --exclude='*objc*' --exclude=plugin \
	"${gl#/}" | tar -C "$R" -xf -
ml=$(dirname "$(gcc -print-file-name=libc.so)")
# shellcheck disable=SC2086
put $(libs_of $bins "$gl/cc1" "$gl/cc1plus" "$gl/collect2" "$gl/lto-wrapper" "$gl/liblto_plugin.so") \
	$(ls "$ml"/*crt*.o "$ml"/libc.so "$ml"/libc_nonshared.a "$ml"/libm.so* "$ml"/libmvec.so* 2>/dev/null) \
	$(readlink -f "$ml"/libstdc++.so.6 "$(gcc -print-file-name=libgcc_s.so.1)") \
	/usr/lib/file/magic.mgc /etc/ld.so.conf
for l in libstdc++.so.6 libgcc_s.so.1; do
	src=$(gcc -print-file-name=$l)
	real=$(readlink -f "$src")
	[ -e "$src" ] && [ "$(basename "$real")" != "$l" ] && ln -sfn "$(basename "$real")" "$R$(dirname "$real")/$l"
done
[ -d /etc/ld.so.conf.d ] && cp -r /etc/ld.so.conf.d "$R/etc/"
[ -e /usr/share/misc/magic.mgc ] && mkdir -p "$R/usr/share/misc" && cp -L /usr/share/misc/magic.mgc "$R/usr/share/misc/"
tar -C / -cf - --exclude=node --exclude='llvm*' --exclude=X11 --exclude=valgrind --exclude=unicode \
	--exclude=python3* usr/include | tar -C "$R" -xf -
ln -sfn "$(command -v gcc)" "$R/tools/bin/x86_64-lfs-linux-gnu-gcc"
ln -sfn "$(command -v g++)" "$R/tools/bin/x86_64-lfs-linux-gnu-g++"
printf 'int main(void){return 0;}\n' >"$R/tmp/t.c"
ok "the chroot's gcc links a program" chroot "$R" /usr/bin/gcc -o /tmp/t /tmp/t.c
rm -f "$R/tmp/t" "$R/tmp/t.c"

# every installed file but the -g object (checked apart, below)
sums() { (cd "$R/opt" && find cross pkg native -type f ! -name debug.o | sort | xargs sha256sum); }

# ---- built here ----
lbt() { timeout 900 "$LFSBUILD" --book "$BOOK" -C "$W" --sources "$SRC" "$@"; }
ok "built without --icecream" lbt build -j2
sums >"$T/here.sums"
cp "$R/opt/pkg/debug.o" "$T/debug.here.o"
out=$(cat "$T/here.sums")
expect_in "it installed the library, the shared library and the program" "pkg/libpkg.so" "$out"

# ---- through the farm ----
ice() { timeout 900 ip netns exec "${NS}c" "$LFSBUILD" --book "$BOOK" -C "$W" --sources "$SRC" "$@"; }
ice build -j2 --from ch6/cross --icecream="$NET.1" >"$T/ice.out" 2>&1
rc=$?
ok "built again with --icecream=$NET.1 (exit $rc)" test "$rc" = 0
[ "$rc" = 0 ] || sed 's/^/#   /' "$T/ice.out" | tail -30
out=$(cat "$T/ice.out")
expect_in "it says which steps go through icecc" "icecream: 2 of the 3 steps to run go through icecc, 1 is built here" "$out"
expect_in "... and names the one whose recipe keeps it here, with why" \
	"ch8/native (the test's step that says so (its compiles must stay here))" "$out"
expect_in "its iceccd reached the scheduler" "reached the scheduler $NET.1" "$out"
expect_in "at the end, which steps went through icecc" "icecream: 2 steps went through icecc: ch6/cross ch8/pkg" "$out"
log=$(cat "$W/logs/ch8/pkg.log")
expect_in "the chroot step's log says how it ran" "# icecream: gcc and g++ go through icecc, environment" "$log"
# icecc's client keeps its lock in /tmp/.icecream-USER, a path it does not let us choose: not left
# in the new system (a captured step would list it as its own file; found on the real ch8/zlib)
ok "icecc's lock directory is not left in the root's /tmp" sh -c "! ls -A '$W/root/tmp' | grep -q '^[.]icecream-'"
expect_in "... the step's log says it was taken out" "icecc's lock directory /tmp/.icecream-* taken out" "$log"
log=$(cat "$W/logs/ch6/cross.log")
expect_in "the user step's too, with the cross compiler's names" \
	"# icecream: x86_64-lfs-linux-gnu-gcc and x86_64-lfs-linux-gnu-g++ go through icecc" "$log"
log=$(cat "$W/logs/ch8/native.log")
expect_in "the step with icecream no was built here" "# icecream: built here: icecream no: the test's step" "$log"
n=$(ls "$W/icecream/envs/" | grep -c '\.tar\.gz$')
ok "two environments were made, one per stage's compilers (got $n)" test "$n" = 2

sums >"$T/farm.sums"
ok "every installed file is the same as built here (sha256 of libpkg.a, libpkg.so, pkg: both stages)" \
	diff "$T/here.sums" "$T/farm.sums"
cp "$R/opt/pkg/debug.o" "$T/debug.farm.o"
# -g: the helpers' debug information records the same compiler options (the environment's specs
# drop icecc's --param ggc-*), but the whole preprocessing happens here (icecc's ICECC_REMOTE_CPP=0:
# __DATE__ from SOURCE_DATE_EPOCH), so a column after a macro on the same line can differ in
# .debug_line. Without it the object is the same (docs/engine.md says so).
a=$(readelf --debug-dump=info "$T/debug.here.o" | grep DW_AT_producer)
b=$(readelf --debug-dump=info "$T/debug.farm.o" | grep DW_AT_producer)
ok "a -g object's DW_AT_producer is the same" test "$a" = "$b"
strip -g -o "$T/d1.o" "$T/debug.here.o" && strip -g -o "$T/d2.o" "$T/debug.farm.o"
ok "... and without its debug information it is the same object" cmp "$T/d1.o" "$T/d2.o"
diff <(readelf --debug-dump=rawline "$T/debug.here.o") <(readelf --debug-dump=rawline "$T/debug.farm.o") |
	grep '^[<>]' >"$T/lines.diff"
echo "# .debug_line: $(grep -c . "$T/lines.diff") lines differ"
fails "... its line table differs at most in columns" grep -v 'Set column to' "$T/lines.diff"

# The helpers' own logs: compile jobs ran there (a silent fallback to local compiles has none).
j1=$(grep -c 'remote compile for file' "$F/helper1.log")
j2=$(grep -c 'remote compile for file' "$F/helper2.log")
echo "# compile jobs: helper1 $j1, helper2 $j2"
# (lfsbuild's own iceccd is a node of the farm too: the scheduler gives it some of the jobs)
ok "the helpers compiled jobs of the build (helper1 $j1, helper2 $j2)" test $((j1 + j2)) -ge 1
ok "... among them the package's sources" grep -q 'remote compile for file m0[0-9].c' "$F/helper1.log" "$F/helper2.log"

# With a client iceccd of the test's that takes no jobs itself (-m 0), reached through its socket
# (--icecream=/SOCKET): every compile of the steps that go through icecc runs on a helper.
ICECC_TEST_SOCKET=$F/client.socket ip netns exec "${NS}c" iceccd -s "$NET.1" -N client -m 0 -b "$F/c-envs" \
	-l "$F/client.log" -vv >/dev/null 2>&1 &
PIDS="$PIDS $!"
for i in $(seq 600); do grep -q 'login client' "$F/scheduler.log" && break; sleep 0.1; done
ok "the test's client iceccd is up" grep -q 'login client' "$F/scheduler.log"
before=$(cat "$F/helper1.log" "$F/helper2.log" | grep -c 'remote compile for file')
ice build -j2 --from ch6/cross --icecream="$F/client.socket" >"$T/ice2.out" 2>&1
rc=$?
ok "built again with --icecream=$F/client.socket (exit $rc)" test "$rc" = 0
[ "$rc" = 0 ] || sed 's/^/#   /' "$T/ice2.out" | tail -30
expect_in "it went through that iceccd" "icecream: through the iceccd at $F/client.socket" "$(cat "$T/ice2.out")"
after=$(cat "$F/helper1.log" "$F/helper2.log" | grep -c 'remote compile for file')
# 12 C files, main.cc and 3 more C++ files, debug.c: 17 compiles in each of the two steps
ok "every compile of ch6/cross and ch8/pkg ran on a helper ($((after - before)) of 34)" test $((after - before)) = 34
ok "... the C++ files too" grep -q 'remote compile for file c2.cc' "$F/helper1.log" "$F/helper2.log"
sums >"$T/farm2.sums"
ok "every installed file is the same as built here, again" diff "$T/here.sums" "$T/farm2.sums"

# Not part of the stamps: a build without --icecream finds everything up to date.
lb build -j2 >"$T/again.out" 2>&1
rc=$?
ok "without --icecream again: nothing to run (exit $rc)" test "$rc" = 0
fails "... no step started" grep -q '\] start ' "$T/again.out"
ok "lfsbuild's own iceccd is gone" sh -c "! pgrep -f '[i]ceccd -s $NET.1 -m' >/dev/null"

# ---- a helper that is not there: the steps are built here, and say so ----
out=$(lb build --explain ch8/native --icecream)
expect_in "--icecream alone is the option too (the iceccd running here): --explain says a step is built here and why" \
	"icecream: built here: icecream no: the test's step" "$out"
ok "--explain says how a step would run" sh -c "'$LFSBUILD' --book '$BOOK' -C '$W' --sources '$SRC' build --explain ch8/pkg --icecream='$NET.1' | grep -q 'icecream: gcc and g++ through icecc'"
fails "a scheduler that is no host name is refused" lb build --icecream='no such host!'
# An iceccd that is not there: said before anything runs, with what to do.
fails "--icecream=/SOCKET without an iceccd there fails before a step starts" \
	lb build --from ch8/pkg --icecream="$T/no-such.socket"
cp "$T/.out" "$T/nosock.out"
expect_in "... saying so" "--icecream: no iceccd socket at $T/no-such.socket (No such file or directory): start the iceccd" \
	"$(cat "$T/nosock.out")"
fails "... and no step started" grep -q '\] start ' "$T/nosock.out"
