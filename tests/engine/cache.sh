# Package archives and the binary cache (docs/engine.md, "Package archives", "The binary cache"),
# on tests/books/cache: each captured step's archive (name, members, owners, modes, xattr, file
# capability, hard link, symlink, FIFO, a deletion, a replaced directory), read back by GNU tar;
# a second work directory built from the cache (the reason lines, the same root, `capture no`
# built, --from built); a corrupted and a truncated archive named, set aside and built; --cache-url
# against a local HTTP server (a 404 is a plain miss); a symlink planted in the root; a SIGKILL
# during a merge (the archive is whole before the journal begins); leftovers of killed writers;
# a build at another place, whose user-mode steps are built (they hold their root's path) and whose
# chroot steps come from the cache. Every other build is made at the first one's place ($T/w):
# the same path, as a shared cache between machines wants it.
. "$(dirname "$0")/../lib/check.sh"
. "$ROOT/tests/books/lib.bash"

if [ "$(id -u)" != 0 ]; then
	skip "cache" "needs root (an overlay per step)"
	exit 0
fi
# setup WORKDIR: a fresh work directory whose $LFS has the chroot's tools
setup() {
	W=$1
	rm -rf "$W"
	mkdir -p "$W/root"
	local tools="/bin/bash /bin/chown /bin/chmod /bin/rm /bin/mkdir $(command -v setcap)"
	for f in $tools $(ldd $tools | grep -o '/[^ ]*'); do
		cp --parents -L "$f" "$W/root/" 2>/dev/null
	done
}
hash_of() { sed -n 's/^hash //p' "$W/state/stamps/$1.stamp"; }
# name STEP VERSION: the archive's file name in the current $W
name() { echo "$(echo "$1" | tr / _)-$2-$(hash_of "$1" | cut -c1-12).tar.zst"; }
same_root() { bash "$ROOT/tests/lib/compare-roots.sh" "$1/root" "$2/root"; }
built() { grep -q -- '---- script ----' "$W/logs/$1.log"; }   # its script ran (not from the cache)

book_setup cache
STEPS="ch1/base:1.0 ch1/mod:none ch1/side:none ch2/owner:none ch2/last:none"

# ---- 1. every captured step gets its archive ----
W1=$T/w
setup "$W1"
out=$(lb build -j2 --capture on 2>&1); rc=$?
ok "the book builds with --capture on" test "$rc" = 0
for s in $STEPS; do
	ok "$s: its archive STEP-VERSION-HASH12.tar.zst (${s#*:})" test -f "$W/packages/$(name "${s%:*}" "${s#*:}")"
done
ok "no archive for ch2/nocap (capture no)" bash -c "! ls '$W/packages' | grep -q '^ch2_nocap-'"
ok "a captured step's log says what its capture cost" grep -Eq '^lfsbuild: capture: file list, package archive and merge in [0-9]+\.[0-9]s$' "$W/logs/ch1/base.log"
A=$W/packages/$(name ch1/base 1.0)
ok "its first members: .LFSBUILD-INFO, .LFSBUILD-FILES" test "$(tar --zstd -tf "$A" | head -2 | tr '\n' ' ')" = ".LFSBUILD-INFO .LFSBUILD-FILES "
info=$(tar --zstd -xOf "$A" .LFSBUILD-INFO)
expect_in "the info names the step" "step ch1/base" "$info"
expect_in "... the version built" "version 1.0" "$info"
expect_in "... the whole input hash" "hash $(hash_of ch1/base)" "$info"
ok "the list inside is packages/ch1_base.files" cmp <(tar --zstd -xOf "$A" .LFSBUILD-FILES) "$W/packages/ch1_base.files"
X=$T/x
mkdir -p "$X"
tar --zstd --xattrs --xattrs-include='*' --numeric-owner -xpf "$A" -C "$X" 2>"$T/tar.err"
ok "GNU tar extracts it" test -f "$X/usr/share/doc/built.txt"
ok "owner and mode kept (the build uid, 0600)" test "$(stat -c '%u %a' "$X/etc/conf")" = "$(stat -c '%u' "$W/root/etc/conf") 600" -a "$(stat -c %u "$X/etc/conf")" != 0
ok "an xattr kept" bash -c "getfattr -n user.lfs --only-values '$X/usr/lib/data' | grep -qx base"
ok "a hard link kept" test "$X/usr/bin/tool" -ef "$X/usr/bin/tool-link"
ok "a symlink kept" test "$(readlink "$X/usr/bin/tool-sym")" = tool
ok "a FIFO kept" test -p "$X/run/fifo"
M=$W/packages/$(name ch1/mod none)
ok "ch1/mod's archive holds no whiteout (no device entry)" bash -c "! tar --zstd -tvf '$M' | grep -q '^c'"
list=$(tar --zstd -xOf "$M" .LFSBUILD-FILES)
expect_in "... its list has the deletion" "deleted	-	-	-	-	-	-	-	etc/gone" "$list"
expect_in "... and the replaced directory" "replaced	d	0755" "$list"
O=$W/packages/$(name ch2/owner none)
mkdir -p "$T/xo"
tar --zstd --xattrs --xattrs-include='*' --numeric-owner -xpf "$O" -C "$T/xo" 2>/dev/null
ok "an owner and a setuid mode the chroot step gave" test "$(stat -c '%u:%g %a' "$T/xo/usr/bin/owned")" = "123:456 4750"
ok "a file capability (security.capability) kept" bash -c "getcap '$T/xo/usr/bin/pinger' | grep -q cap_net_raw"
ok "... and in the root" bash -c "getcap '$W/root/usr/bin/pinger' | grep -q cap_net_raw"

# the first build moves aside; each later work directory is made at its place
mv "$T/w" "$T/w1"
W1=$T/w1

# ---- 2. a second work directory from the cache ----
W2=$T/w
setup "$W2"
out=$(lb build -j2 --capture on --cache "$W1/packages" 2>&1); rc=$?
ok "a second work directory builds with --cache W1/packages" test "$rc" = 0
expect_in "the build says how many came from the cache" "build complete: 6 steps run (5 from the cache)" "$out"
for s in $STEPS; do
	expect_in "$s: the reason line 'from cache: STEP VERSION HASH'" "from cache: ${s%:*} ${s#*:} $(W=$W1 hash_of "${s%:*}")" "$out"
	ok "$s: not built (its log says where it came from)" bash -c "grep -q 'from cache' '$W/logs/${s%:*}.log' && ! grep -q -- '---- script ----' '$W/logs/${s%:*}.log'"
done
ok "a step from the cache: its log says what the merge cost, no archive packed" grep -Eq '^lfsbuild: capture: file list, merge in [0-9]+\.[0-9]s$' "$W/logs/ch1/base.log"
ok "ch2/nocap was built" built ch2/nocap
ok "... and no 'from cache' line names it" bash -c "! grep -q 'from cache: ch2/nocap' <<<\"\$1\"" _ "$out"
ok "the root equals the first one (tests/lib/compare-roots.sh)" same_root "$W1" "$W2"
ok "the same stamps' hashes" test "$(cat "$W1"/state/stamps/*/*.stamp | grep '^hash')" = "$(cat "$W2"/state/stamps/*/*.stamp | grep '^hash')"
ok "each step's archive is in the work directory's own packages/ too" test -f "$W2/packages/$(name ch1/mod none)"
expect_in "files STEP reads the list of a step from the cache" "opt/old/new" "$(lb files ch1/mod)"
out=$(lb build --capture on --cache "$W1/packages" 2>&1)
expect_in "the next build: all up to date" "6 up to date" "$out"
expect_in "--explain names the step's archive" "its package archive: $W2/packages/$(name ch1/mod none)" "$(lb build --capture on --explain ch1/mod 2>&1)"
out=$(lb build --capture on --cache "$W1/packages" --from ch2/last 2>&1); rc=$?
ok "--from ch2/last succeeds" test "$rc" = 0
ok "... and builds it (a forced step never comes from the cache)" built ch2/last

# ---- 2b. at another place: the user-mode steps are built, the chroot steps come from the cache ----
WE=$T/elsewhere
setup "$WE"
out=$(lb build -j2 --capture on --cache "$W1/packages" 2>&1); rc=$?
ok "a work directory at another place builds with --cache W1/packages" test "$rc" = 0
expect_in "... only the chroot steps came from the cache" "build complete: 6 steps run (2 from the cache)" "$out"
for s in ch1/base ch1/mod ch1/side; do
	expect_in "$s (user mode): not from the cache, and why" "$s: not from the cache: $W1/packages/$(W=$W1 name "$s" "$([ $s = ch1/base ] && echo 1.0 || echo none)") was built with the root at $T/w/root, and this build's root is $WE/root" "$out"
	ok "... built" built "$s"
done
expect_in "ch2/owner (chroot) came from the cache" "from cache: ch2/owner none" "$out"
ok "... the archives of another place are not set aside: they serve their place" test ! -e "$W1/packages/bad"
ok "the root equals the first one" same_root "$W1" "$WE"
rm -rf "$WE"

# ---- 3. a corrupted and a truncated archive: named, set aside, built ----
C=$T/c
mkdir -p "$C"
cp "$W1"/packages/*.tar.zst "$C/"
W=$W1
MOD=$(name ch1/mod none) OWN=$(name ch2/owner none) BASE=$(name ch1/base 1.0) SIDE=$(name ch1/side none)
# ch1/mod's archive repacked with one file's content changed (its size kept), by GNU tar
R=$T/repack
mkdir -p "$R"
tar --zstd --xattrs --xattrs-include='*' --numeric-owner -xpf "$C/$MOD" -C "$R" 2>/dev/null
tar --zstd -tf "$C/$MOD" >"$T/order"
echo MOD >"$R/usr/share/doc/mod.txt"
(cd "$R" && tar --zstd --format=pax --numeric-owner --no-recursion -cf "$C/$MOD" -T "$T/order" 2>/dev/null)
ok "the forged archive still lists .LFSBUILD-INFO first" test "$(tar --zstd -tf "$C/$MOD" | head -1)" = .LFSBUILD-INFO
truncate -s $(($(stat -c %s "$C/$OWN") / 2)) "$C/$OWN"
W3=$T/w
setup "$W3"
out=$(lb build -j2 --capture on --cache "$C" 2>&1); rc=$?
ok "the build succeeds" test "$rc" = 0
expect_in "the forged archive is named, with the file and both checksums" "$C/$MOD: usr/share/doc/mod.txt: sha256 $(sha256sum <"$W1/root/usr/share/doc/mod.txt" | cut -c1-64) in its file list, $(echo MOD | sha256sum | cut -c1-64) in the archive" "$out"
expect_in "... moved to DIR/bad/ and the step built instead" "moved to $C/bad/$MOD; the step is built instead" "$out"
ok "... it is in bad/, not in the cache" test -f "$C/bad/$MOD"
ok "ch1/mod was built" built ch1/mod
expect_in "the truncated archive is named, cut short (its zstd stream read whole first)" "ch2/owner: the cached archive failed its check: $C/$OWN: cut short (its zstd frame does not end)" "$out"
ok "... set aside" test -f "$C/bad/$OWN"
ok "ch2/owner was built" built ch2/owner
expect_in "the good ones came from the cache" "from cache: ch1/base 1.0" "$out"
ok "the root equals the first one" same_root "$W1" "$W3"
ok "the rebuilt steps' new archives are in the cache (--cache DIR gets them)" test -f "$C/$MOD" -a -f "$C/$OWN"
ok "... whole: GNU tar reads the new one" bash -c "tar --zstd -tf '$C/$MOD' >/dev/null"

# ---- 4. --cache-url: a local HTTP server ----
WWW=$T/www
mkdir -p "$WWW"
cp "$W1"/packages/*.tar.zst "$WWW/"
rm "$WWW/$SIDE"   # a 404: a plain miss
python3 "$ROOT/tests/fetch/server.py" "$WWW" "$T/port" 300 2>"$T/server.log" &
srv=$!
trap 'kill $srv 2>/dev/null; rm -rf "$T"' EXIT
for _ in $(seq 100); do [ -s "$T/port" ] && break; sleep 0.1; done
ok "the local HTTP server is up" test -s "$T/port"
W4=$T/w
setup "$W4"
out=$(lb build -j2 --capture on --cache "$T/c4" --cache-url "http://127.0.0.1:$(cat "$T/port")/" 2>&1); rc=$?
ok "a build with --cache-url succeeds" test "$rc" = 0
expect_in "a step downloaded from the URL" "from cache: ch1/base 1.0" "$out"
expect_in "... and a chroot one" "from cache: ch2/owner none" "$out"
ok "the server was asked for it" grep -q "GET /$BASE" "$T/server.log"
ok "what was downloaded is kept in the cache directory" test -f "$T/c4/$BASE"
ok "the step missing there (404) was built" built ch1/side
ok "... without a warning" bash -c "! grep -q 'warning: ch1/side' <<<\"\$1\"" _ "$out"
ok "the root equals the first one" same_root "$W1" "$W4"
DEAD=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
W5=$T/w
setup "$W5"
out=$(lb build -j2 --capture on --cache "$T/c5" --cache-url "http://127.0.0.1:$DEAD" 2>&1); rc=$?
ok "a cache URL nobody answers: the build goes on" test "$rc" = 0
ok "... said once, then not asked again" test "$(grep -c 'cannot download.*not asked again' <<<"$out")" = 1
fails "--cache-url wants http(s)" lb build --capture on --cache-url "ftp://x/y"

# ---- 5. a symlink planted in the root ----
W6=$T/w
setup "$W6"
lb build --capture on --cache "$W1/packages" --until ch1/base >/dev/null 2>&1
mkdir -p "$T/outside"
rm -rf "$W6/root/usr/share/doc"
ln -s "$T/outside" "$W6/root/usr/share/doc"
out=$(lb build --capture on --cache "$W1/packages" --until ch1/mod 2>&1); rc=$?
expect_in "ch1/mod comes from the cache onto a root whose usr/share/doc is a symlink out of it" "from cache: ch1/mod" "$out"
ok "nothing was written through it" test -z "$(ls -A "$T/outside")"
ok "usr/share/doc is a directory of the root again, with ch1/mod's files" test -d "$W6/root/usr/share/doc" -a ! -L "$W6/root/usr/share/doc" -a -f "$W6/root/usr/share/doc/mod.txt"

# ---- 6. SIGKILL during a merge: the archive was whole before the journal began ----
W7=$T/w
setup "$W7"
lb build --capture on --until ch1/base >/dev/null 2>&1
LFSBUILD_TEST_MERGE_PAUSE=30 lb_bg build --capture on --until ch1/mod >"$T/drill.out" 2>&1
pid=$!
J=$W/capture/ch1_mod/merge.journal
for _ in $(seq 600); do grep -qx begin "$J" 2>/dev/null && break; sleep 0.1; done
ok "the merge of ch1/mod began (its journal says begin)" grep -qx begin "$J"
ok "... its archive is there, whole (zstd -t), with no .part" bash -c "zstd -qt '$W/packages/$(name ch1/mod none)' && ! ls '$W/packages' | grep -q part"
kill -KILL "$pid"
wait "$pid" 2>/dev/null
echo stale >"$W/packages/junk.tar.zst.part"
sh -c 'echo $$ >"$1"' _ "$T/deadpid"
mkdir -p "$T/c7"
echo stale >"$T/c7/junk.tar.zst.$(cat "$T/deadpid").part"
out=$(lb build --capture on --cache "$T/c7" 2>&1); rc=$?
ok "the next build succeeds" test "$rc" = 0
expect_in "it completes the interrupted merge" "completing the merge of ch1/mod" "$out"
ok "... and the step is done: neither run again nor taken from its archive" bash -c "! grep -q 'run   ch1/mod\|from cache: ch1/mod' <<<\"\$1\"" _ "$out"
ok "the root equals the first one" same_root "$W1" "$W7"
ok "what killed writers left is gone (NAME.part, NAME.PID.part of a dead PID)" test ! -e "$W/packages/junk.tar.zst.part" -a ! -e "$T/c7/junk.tar.zst.$(cat "$T/deadpid").part"
echo "# the packages/ of the cache book: $(du -sk "$W1/packages" | cut -f1) KiB, $(ls "$W1/packages" | wc -l) files"
