# Symlinks a step plants where lfsbuild works as root afterwards: in its build directory (kept,
# then removed by `clean`) and in $LFS (given to the build uid by chown_tree, archived by the
# snapshots, put back by `restore`, removed by `clean --all`). Each works on the link itself: the
# secret file and directory of the host they point to keep their owner and content, and the
# secret appears nowhere under the work directory (nor in a snapshot's data).
. "$(dirname "$0")/../lib/check.sh"
. "$ROOT/tests/books/lib.bash"
[ "$(id -u)" = 0 ] || { skip "links drill" "needs root (chown_tree, host-root steps)"; exit 0; }

book_setup links
MARK=lfsbuild-links-secret-$$-$RANDOM-$RANDOM
OUT=$T/outside SECRET=$T/outside/secret SECRETDIR=$T/outside/dir
mkdir -p "$SECRETDIR"
chmod 755 "$OUT"
printf '%s\n' "$MARK" >"$SECRET"
printf '%s\n' "$MARK" >"$SECRETDIR/inside"
chmod 600 "$SECRET"
sed -i "s|@SECRET@|$SECRET|; s|@SECRETDIR@|$SECRETDIR|" "$BOOK/stages"
owner() { stat -c '%u:%g %a' "$1"; }
untouched() {
	test "$(owner "$SECRET")" = "0:0 600" -a "$(owner "$SECRETDIR")" = "0:0 755" -a \
		"$(owner "$SECRETDIR/inside")" = "0:0 644" -a "$(cat "$SECRET")" = "$MARK" -a \
		"$(cat "$SECRETDIR/inside")" = "$MARK" -a "$(ls -A "$SECRETDIR")" = inside
}
nowhere() { ! grep -rqaF -- "$MARK" "$W"; }

ok "the build runs (links planted, root given back and forth, snapshots)" lb build -j2 --keep --snapshots
ok "ch1/plant planted its links" test -L "$W/build/ch1_plant/dirlink" -a -L "$W/root/etc/leak" -a -L "$W/root/usr/lib"
uid=$(stat -c %u "$W/root/etc/own")
ok "chown_tree gave \$LFS to the build uid again after the root stage" test "$uid" != 0
ok "chown_tree gave the links themselves" test "$(stat -c %u "$W/root/etc/leak")" = "$uid" -a "$(stat -c %u "$W/root/usr/lib")" = "$uid"
ok "the secret file and directory keep their owner, mode and content" untouched
ok "the secret appears nowhere under the work directory" nowhere
for s in plant owner again; do
	ok "snapshot $s: the links are links" bash -c 'tar --zstd -tvf "$1" | grep -q "^l.* ./etc/leak -> $2\$"' _ "$W/snapshots/$s.tar.zst" "$SECRET"
	ok "snapshot $s: nothing of the secret in its data" bash -c '! zstd -dc "$1" | grep -qaF -- "$2"' _ "$W/snapshots/$s.tar.zst" "$MARK"
done
ok "snapshot: the directory a link points to was not descended" bash -c '! tar --zstd -tf "$1" | grep -q "etc/dirleak/\|usr/lib/"' _ "$W/snapshots/plant.tar.zst"

ok "restore plant" lb restore plant
ok "restore: the links are back as links" test -L "$W/root/etc/leak" -a -L "$W/root/etc/dirleak" -a -L "$W/root/usr/lib" -a ! -e "$W/root/again"
ok "restore: nothing written through them" untouched

ok "clean --all removes the kept build directory and the root" lb clean --all
ok "clean --all: gone" test ! -e "$W/build" -a ! -e "$W/root"
ok "clean --all: the secret file and directory are untouched" untouched
