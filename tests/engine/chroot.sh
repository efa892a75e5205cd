# A chroot step: $LFS is /, the build directory is at /build/<flat id>, sources are there,
# and it runs as root; the user-mode step before it ran as the build uid.
. "$(dirname "$0")/../lib/check.sh"
. "$ROOT/tests/books/lib.bash"

if [ "$(id -u)" != 0 ]; then
	skip "chroot steps" "needs root"
	exit 0
fi
book_setup chroot
mkdir -p "$W/root"
for f in /bin/bash $(ldd /bin/bash | grep -o '/[^ ]*'); do cp --parents -L "$f" "$W/root/"; done
cc -static -O -Wno-format-truncation -o "$W/root/getcwd-walk" "$ROOT/tests/lib/getcwd-walk.c" ||
	echo "# cannot build tests/lib/getcwd-walk.c statically: the walk check will fail"
ok "a user step, then a chroot step" lb build -j2 --hostname lfstest
ok "the user step ran as the build uid" grep -q "outside as 4242" "$W/root/outside.txt"
ok "the chroot step saw its source at /build/ch2_inside" grep -q "hello from alpha 1.0" "$W/root/inside.txt"
ok "the chroot step ran as root" grep -q "uid 0" "$W/root/inside.txt"
ok "with the host name asked for" grep -q "hostname lfstest" "$W/root/inside.txt"
expect_in "a getcwd() walking up '..' finds the build directory (bash of chapter 6 does that)" \
	"walk /build/ch2_inside/alpha-1.0" "$(cat "$W/root/inside.txt")"
out=$(lb build --explain ch2/inside)
expect_in "--explain shows the bind mount of the build directory" "$W/root/build/ch2_inside" "$out"
expect_in "--explain shows the environment as the step sees it" "SRC_alpha=/build/ch2_inside/alpha-1.0" "$out"
ok "no mount point is left in \$LFS" test ! -e "$W/root/build"
