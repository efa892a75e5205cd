# A work directory whose path holds a space, a single quote and a comma ("we ird'dir,x"): every
# place lfsbuild puts a path into a shell line (the tests log in a step's script), a QEMU option
# (file= of the disk and of the firmware variables) or a tool's file-name syntax (e2fsck's
# "?offset=", mtools' "@@") must quote it or keep it out. The whole chain runs there: a synthetic
# book built with --tests and --snapshots, `image` of the CI fixture, and the fixture boot test
# (`lfsbuild test` with tests/fixture/fixture.checks, as tests/image/boot.sh does it).
. "$(dirname "$0")/../lib/check.sh"
. "$ROOT/tests/books/lib.bash"

for t in qemu-system-x86_64 qemu-img sfdisk grub-mkimage cpio setcap mke2fs mcopy; do
	command -v $t >/dev/null || { skip "weird work directory" "$t missing (make deps)"; exit 0; }
done
compgen -G '/boot/vmlinuz-*-cloud-amd64' >/dev/null || compgen -G '/boot/vmlinuz-*-kvm' >/dev/null || { skip "weird work directory" "no linux-image-cloud-amd64 or -kvm (make deps)"; exit 0; }
[ -r /usr/share/OVMF/OVMF_CODE.fd ] || { skip "weird work directory" "no OVMF (make deps)"; exit 0; }
[ "$(id -u)" = 0 ] || { skip "weird work directory" "need root (device nodes, the build uid)"; exit 0; }

D="$T/we ird'dir,x"
mkdir -p "$D"
chmod 755 "$T" "$D"
# book_setup in $D: the book, the source cache and the work directory all under the odd path
T=$D book_setup weird
expect_in "the work directory's path holds a space, a quote and a comma" "we ird'dir,x/work" "$W"

# the disk's ids first: the build (ch10 would read them) and the fixture share them
mkdir -p "$W/state"
u() { cat /proc/sys/kernel/random/uuid; }
printf 'DISK_GUID=%s\nESP_PARTUUID=%s\nROOT_PARTUUID=%s\nROOT_FS_UUID=%s\n' $(u) $(u) $(u) $(u) >"$W/state/disk.conf"
. "$W/state/disk.conf"

ok "build --tests --snapshots in the odd work directory" lb build -j2 --tests --snapshots
ok "the step with tests wrote its tests log, copied to logs/tests" grep -q "^PASS: built in $W/build/ch1_alpha/alpha-1.0\$" "$W/logs/tests/ch1/alpha.log"
expect_in "the tests log ends with the status line (appended by the script through the quoted path)" \
	"lfsbuild: the tests exited with status 0" "$(tail -1 "$W/logs/tests/ch1/alpha.log")"
ok "every step is stamped done" test "$(grep -l '^result ok' "$W"/state/stamps/*/*.stamp | wc -l)" = 2
ok "the book's file and the built files are in the root" test -s "$W/root/usr/alpha/note.txt" -a -s "$W/root/usr/beta-built.txt"
ok "a snapshot per stage" test -f "$W/snapshots/one.tar.zst" -a -f "$W/snapshots/two.tar.zst"
ok "restore one" lb restore one

ok "make the fixture in the odd directory" "$ROOT/tests/fixture/make-fixture.sh" "$D/fixture" "$W/state/disk.conf" fixture-pw
ok "image the fixture into WORKDIR/lfs.qcow2" "$LFSBUILD" -C "$W" image --root "$D/fixture" --size 2G
ok "qemu-img check" qemu-img check "$W/lfs.qcow2"
ok "the image tools ran in the scratch directory with relative names" grep -q "^\$ e2fsck -fn 'disk.raw?offset=" "$W/logs/image.log"

echo fixture-pw >"$W/root-password"
chmod 600 "$W/root-password"
ok "test: every fixture check passes and QEMU powers off" "$LFSBUILD" -C "$W" test --checks "$ROOT/tests/fixture/fixture.checks" --timeout 240
out=$(cat "$T/.out")
expect_in "test: the tally" "9 of 9 checks passed" "$out"
expect_in "test: the root by the state's PARTUUID" "PASS the root is ext4 on partition 2 with the state's PARTUUID" "$out"
# the log shows the command line shell-quoted: the path's quote as '\''
ok "test: QEMU got the disk's path with its comma doubled" grep -qF "dir,,x/work/lfs.qcow2,snapshot=on" "$W/logs/boot-test.log"
ok "test: and the firmware variables' path too" grep -qF "unit=1,file=$T/we ird'\\''dir,,x/work/tmp/ovmf-vars" "$W/logs/boot-test.log"
ok "no QEMU left behind" bash -c '! pgrep -af "[q]emu-system-x86_64" | grep -qF -- "$1"' _ "$W/lfs.qcow2"
