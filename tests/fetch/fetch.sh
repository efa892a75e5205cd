# lfsbuild fetch against a local HTTP server (tests/fetch/server.py on 127.0.0.1): good, corrupted,
# truncated, missing and stalled files; the fallback to the Debian origin through a synthetic apt
# configuration; --mirror-dir, --mirror, --verify, a run killed with SIGKILL, two runs at once,
# extract=, `lfsbuild sources` and --dry-run.
. "$(dirname "$0")/../lib/check.sh"

W=$T/www
mkdir -p "$W/files" "$W/debian/pool/main/f/fallback" "$W/debian/pool/main/libx/libxy" "$W/mirror" \
	"$T/mirrordir" "$T/book" "$T/apt/etc/apt/sources.list.d"
mkfile() { head -c "$2" /dev/urandom >"$1"; }
sha() { sha256sum "$1" | cut -d' ' -f1; }

mkfile "$W/files/good-1.0.tar.gz" 200000
mkfile "$T/bad-expected.tar.gz" 50000
cp "$T/bad-expected.tar.gz" "$W/files/bad-1.0.tar.gz"
printf 'corrupted bytes!' | dd of="$W/files/bad-1.0.tar.gz" bs=1 seek=1000 conv=notrunc 2>/dev/null
mkfile "$W/files/trunc-1.0.tar.gz" 300000
mkfile "$W/files/stall-1.0.tar.gz" 100000
mkfile "$W/debian/pool/main/f/fallback/fallback_1.0.orig.tar.gz" 80000
mkfile "$W/files/slow-1.0.tar.gz" 1500000
# extract=: an outer tarball holding the tarball the recipe unpacks.
mkdir -p "$T/outer/xy-2.0"
mkfile "$T/outer/xy-2.0/xy-2.0-dfsg.tar.xz" 40000
echo readme >"$T/outer/xy-2.0/README"
mkfile "$T/outer/xy-2.0/extra.tar.xz" 1000
tar -C "$T/outer" -czf "$W/debian/pool/main/libx/libxy/libxy_2.0.orig.tar.gz" xy-2.0

GOOD=$(sha "$W/files/good-1.0.tar.gz")
BAD=$(sha "$T/bad-expected.tar.gz")
BADGOT=$(sha "$W/files/bad-1.0.tar.gz")
TRUNC=$(sha "$W/files/trunc-1.0.tar.gz")
STALL=$(sha "$W/files/stall-1.0.tar.gz")
FALLBACK=$(sha "$W/debian/pool/main/f/fallback/fallback_1.0.orig.tar.gz")
SLOW=$(sha "$W/files/slow-1.0.tar.gz")
OUTER=$(sha "$W/debian/pool/main/libx/libxy/libxy_2.0.orig.tar.gz")
INNER=$(sha "$T/outer/xy-2.0/xy-2.0-dfsg.tar.xz")
ZERO=0000000000000000000000000000000000000000000000000000000000000000

python3 "$ROOT/tests/fetch/server.py" "$W" "$T/port" 300 2>"$T/server.log" &
srv=$!
trap 'kill $srv 2>/dev/null; rm -rf "$T"' EXIT
for _ in $(seq 100); do [ -s "$T/port" ] && break; sleep 0.1; done
P=$(cat "$T/port")
U=http://127.0.0.1:$P
# A port nobody listens on: bind one, note it, let it go.
DEAD=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')

# The apt configuration the Debian origin reads: a mirror without the files, then the server.
cat >"$T/apt/etc/apt/sources.list" <<EOF
# a comment
deb [signed-by=/nonexistent.gpg] $U/empty-mirror/ bookworm main
EOF
cat >"$T/apt/etc/apt/sources.list.d/test.sources" <<EOF
Types: deb deb-src
URIs: $U/debian
Suites: bookworm
Components: main

Types: deb
URIs: $U/disabled
Enabled: no
EOF

cat >"$T/book/sources" <<EOF
# synthetic manifest of the fetch test
source good
  upstream 1.0 $U/files/good-1.0.tar.gz sha256=$GOOD
source corrupt
  upstream 1.0 $U/files/bad-1.0.tar.gz sha256=$BAD
source truncated
  upstream 1.0 $U/truncate/files/trunc-1.0.tar.gz sha256=$TRUNC
source missing
  upstream 1.0 $U/files/missing-1.0.tar.gz sha256=$ZERO
source stalled
  upstream 1.0 $U/stall/files/stall-1.0.tar.gz sha256=$STALL
source fallback
  upstream 1.0 http://127.0.0.1:$DEAD/fallback-1.0.tar.gz sha256=$ZERO
  debian 1.0 fallback 1.0-1 fallback_1.0.orig.tar.gz sha256=$FALLBACK
source slow
  upstream 1.0 $U/slow/500000/files/slow-1.0.tar.gz sha256=$SLOW
source xy
  debian 2.0 libxy 2.0-1 libxy_2.0.orig.tar.gz sha256=$OUTER extract=xy-2.0/xy-2.0-dfsg.tar.xz sha256x=$INNER
source xybad
  debian 2.0 libxy 2.0-1 libxy_2.0.orig.tar.gz sha256=$OUTER extract=extra.tar.xz sha256x=$ZERO
source xynone
  debian 2.0 libxy 2.0-1 libxy_2.0.orig.tar.gz sha256=$OUTER extract=xy-2.0/nothere.tar.xz sha256x=$ZERO
EOF
C=$T/cache
export LFSBUILD_APT_ROOT=$T/apt LFSBUILD_FETCH_TIMEOUT=2 LFSBUILD_FETCH_STALL=2 LFSBUILD_BOOK=$T/book \
	LFSBUILD_SOURCES=$C
unset LFSBUILD_MIRRORS
lfs() { "$LFSBUILD" "$@"; }
noparts() { ! ls "$C"/*.part >/dev/null 2>&1; }

out=$(lfs sources 2>&1)
expect_in "sources: lists a source not yet fetched" "missing" "$out"
ok "sources: a source not fetched says upstream, not cached" \
	grep -Eq '^good +1\.0 +good-1\.0\.tar\.gz +upstream +no +no$' <<<"$out"

out=$(lfs fetch --dry-run 2>&1)
expect_in "dry-run: names the origin and URL" "upstream    $U/files/good-1.0.tar.gz" "$out"
ok "dry-run downloads nothing" test ! -e "$C/good-1.0.tar.gz"

t0=$(date +%s)
lfs fetch good corrupt truncated missing stalled fallback xy xybad xynone >"$T/o" 2>"$T/e"; rc=$?
t1=$(date +%s)
ok "fetch with failures exits 1" test "$rc" = 1
ok "the good file is in the cache" test "$(sha "$C/good-1.0.tar.gz")" = "$GOOD"
ok "the corrupted file is not in the cache" test ! -e "$C/bad-1.0.tar.gz"
ok "the truncated file is not in the cache" test ! -e "$C/trunc-1.0.tar.gz"
ok "the missing file is not in the cache" test ! -e "$C/missing-1.0.tar.gz"
ok "the stalled file is not in the cache" test ! -e "$C/stall-1.0.tar.gz"
ok "no .part remains" noparts
ok "a checksum mismatch says expected and got" \
	grep -q "corrupt: $U/files/bad-1.0.tar.gz: checksum mismatch: sha256 expected $BAD, got $BADGOT" "$T/e"
ok "a 404 says HTTP 404" grep -q "missing: $U/files/missing-1.0.tar.gz: HTTP 404" "$T/e"
ok "a truncated download says so" grep -q "truncated: $U/truncate/files/trunc-1.0.tar.gz: truncated download" "$T/e"
ok "a stalled download times out" grep -q "stalled: $U/stall/files/stall-1.0.tar.gz: timeout" "$T/e"
ok "a refused connection says so" grep -q "fallback: http://127.0.0.1:$DEAD/fallback-1.0.tar.gz: connection refused" "$T/e"
ok "the first apt mirror without the file: HTTP 404" \
	grep -q "fallback: $U/empty-mirror/pool/main/f/fallback/fallback_1.0.orig.tar.gz: HTTP 404" "$T/e"
ok "fallback to the debian origin under the second apt URI" test "$(sha "$C/fallback_1.0.orig.tar.gz")" = "$FALLBACK"
ok "the disabled deb822 entry is not tried" sh -c "! grep -q /disabled/ '$T/e' '$T/server.log'"
ok "fetched lines name the origin" grep -q "fetched fallback: fallback_1.0.orig.tar.gz from debian" "$T/o"
ok "extract=: the member is in the cache and verified" test "$(sha "$C/xy-2.0-dfsg.tar.xz")" = "$INNER"
ok "extract=: a member with the wrong checksum is named" \
	grep -q "xybad: extract extra.tar.xz from $C/libxy_2.0.orig.tar.gz: checksum mismatch: sha256 expected $ZERO" "$T/e"
ok "extract=: a member not in the archive is named" \
	grep -q "xynone: extract xy-2.0/nothere.tar.xz from $C/libxy_2.0.orig.tar.gz: no member 'xy-2.0/nothere.tar.xz' in it" "$T/e"
ok "extract=: no member .part remains" test ! -e "$C/extra.tar.xz.part" -a ! -e "$C/extra.tar.xz"
ok "the summary counts the failures" grep -q "6 of 9 sources could not be fetched" "$T/e"
ok "the summary says what to do next" grep -q -- "--mirror-dir DIR corrupt truncated missing stalled xybad xynone" "$T/e"
ok "an unreachable or stalled provider costs seconds, not minutes" test $((t1 - t0)) -lt 30

lfs fetch good fallback xy >"$T/o" 2>"$T/e"; rc=$?
ok "run again: exit 0" test "$rc" = 0
ok "run again: nothing is downloaded" grep -q "3 of 3 sources verified in the cache (0 fetched, 0 B, 3 already there)" "$T/o"
ok "run again: no provider is tried" test ! -s "$T/e"

out=$(lfs sources 2>&1)
ok "sources: a fetched source is cached and verified" \
	grep -Eq '^good +1\.0 +good-1\.0\.tar\.gz +cache +yes +yes$' <<<"$out"
ok "sources: extract= lists the member" grep -Eq '^xy +2\.0 +xy-2\.0-dfsg\.tar\.xz +cache +yes +yes$' <<<"$out"

lfs fetch nosuch >"$T/o" 2>"$T/e"; rc=$?
ok "an unknown source is a usage error (exit 2)" test "$rc" = 2
ok "an unknown source is named" grep -q "unknown source 'nosuch'" "$T/e"

# --mirror-dir: the right file in a local directory.
cp "$T/bad-expected.tar.gz" "$T/mirrordir/bad-1.0.tar.gz"
lfs fetch --mirror-dir "$T/mirrordir" corrupt >"$T/o" 2>"$T/e"; rc=$?
ok "--mirror-dir: exit 0" test "$rc" = 0
ok "--mirror-dir: taken from the directory before upstream" grep -q "from mirror-dir" "$T/o"
ok "--mirror-dir: verified in the cache" test "$(sha "$C/bad-1.0.tar.gz")" = "$BAD"

# --mirror URL and LFSBUILD_MIRRORS: URL/FILE.
cp "$W/files/trunc-1.0.tar.gz" "$W/mirror/"
cp "$W/files/stall-1.0.tar.gz" "$W/mirror/"
lfs fetch --mirror "$U/mirror/" truncated >"$T/o" 2>"$T/e"; rc=$?
ok "--mirror: exit 0" test "$rc" = 0
ok "--mirror: taken from the mirror" grep -q "fetched truncated: trunc-1.0.tar.gz from mirror" "$T/o"
LFSBUILD_MIRRORS="$U/nothing $U/mirror" lfs fetch stalled >"$T/o" 2>"$T/e"; rc=$?
ok "LFSBUILD_MIRRORS: exit 0 after the first mirror's 404" test "$rc" = 0
ok "LFSBUILD_MIRRORS: the first mirror's 404 is reported" grep -q "$U/nothing/stall-1.0.tar.gz: HTTP 404" "$T/e"

# --verify: some bytes of a cached file changed behind the stamp's back (same size and mtime).
f=$C/good-1.0.tar.gz
touch -r "$f" "$T/ref"
printf 'changed' | dd of="$f" bs=1 seek=5000 conv=notrunc 2>/dev/null
touch -r "$T/ref" "$f"
lfs fetch good >"$T/o" 2>"$T/e"; rc=$?
ok "without --verify a stamped file is trusted (not read again)" test "$rc" = 0 -a "$(sha "$f")" != "$GOOD"
lfs fetch --verify >"$T/o" 2>"$T/e"; rc=$?
ok "--verify names the changed file" grep -q "good: the cached $C/good-1.0.tar.gz failed verification" "$T/e"
ok "--verify fetches it again" grep -q "fetched good: good-1.0.tar.gz from upstream" "$T/o"
ok "--verify ends with the file verified" test "$(sha "$f")" = "$GOOD"
ok "--verify summary names it" grep -q "fetched again after a failed verification: good" "$T/o"
# --verify also reads the outer file of an extract= origin.
o=$C/libxy_2.0.orig.tar.gz
touch -r "$o" "$T/ref"
printf 'changed' | dd of="$o" bs=1 seek=3000 conv=notrunc 2>/dev/null
touch -r "$T/ref" "$o"
lfs fetch --verify xy >"$T/o" 2>"$T/e"; rc=$?
ok "--verify: a changed outer file of extract= is named" \
	grep -q "xy: the cached $C/libxy_2.0.orig.tar.gz failed verification" "$T/e"
ok "--verify: the outer file is fetched again and verified" test "$rc" = 0 -a "$(sha "$o")" = "$OUTER"
# A change that also moves the mtime is caught without --verify.
printf 'changed' | dd of="$f" bs=1 seek=5000 conv=notrunc 2>/dev/null
touch -d '2001-01-01' "$f"
lfs fetch good >"$T/o" 2>"$T/e"; rc=$?
ok "a changed file whose stamp no longer fits is hashed, named and fetched again" \
	test "$rc" = 0 -a "$(sha "$f")" = "$GOOD"

# A run killed with SIGKILL mid-download leaves no file; the next run completes.
rm -f "$C/slow-1.0.tar.gz"
"$LFSBUILD" fetch slow >"$T/o1" 2>&1 &
pid=$!
for _ in $(seq 100); do [ -s "$C/slow-1.0.tar.gz.part" ] && break; sleep 0.05; done
ok "the killed run was mid-download" test -s "$C/slow-1.0.tar.gz.part"
kill -KILL $pid
wait $pid 2>/dev/null
ok "after SIGKILL no file is in the cache" test ! -e "$C/slow-1.0.tar.gz"
lfs fetch slow >"$T/o" 2>"$T/e"; rc=$?
ok "the next run completes" test "$rc" = 0 -a "$(sha "$C/slow-1.0.tar.gz")" = "$SLOW"
ok "and leaves no .part" noparts

# Two runs at once: the second waits for the first and says who holds the file.
rm -f "$C/slow-1.0.tar.gz"
"$LFSBUILD" fetch slow >"$T/o1" 2>&1 &
pid=$!
for _ in $(seq 100); do [ -s "$C/slow-1.0.tar.gz.part" ] && break; sleep 0.05; done
lfs fetch slow >"$T/o" 2>"$T/e"; rc=$?
wait $pid; rc1=$?
ok "two runs at once: both succeed" test "$rc" = 0 -a "$rc1" = 0
ok "the second run says who holds the lock" grep -q "is being written by another run (pid $pid); waiting" "$T/e"
ok "the second run downloads nothing" grep -q "(0 fetched, 0 B, 1 already there)" "$T/o"
ok "two runs at once: the file is right" test "$(sha "$C/slow-1.0.tar.gz")" = "$SLOW"

# The manifest is checked before anything: a malformed line is named with file and line.
printf 'source a\n  upstream 1 %s/x.tar.gz md5=123\n' "$U" >"$T/book/sources"
lfs fetch >"$T/o" 2>"$T/e"; rc=$?
ok "a malformed manifest fails" test "$rc" = 1
ok "a malformed manifest names FILE:LINE and the reason" grep -q "^$T/book/sources:2: md5= wants 32 hex digits, got 3$" "$T/e"
