# lfsbuild image: the disk read back by independent tools (qemu-img, sfdisk, sgdisk, debugfs,
# e2fsck, mtools); special files survive; failures leave nothing behind.
. "$(dirname "$0")/../lib/check.sh"

for t in qemu-img mke2fs debugfs e2fsck mkfs.vfat mcopy mdir fsck.vfat sfdisk sgdisk setcap; do
	command -v $t >/dev/null || { skip "image tests" "$t missing (make deps)"; exit 0; }
done
[ "$(id -u)" = 0 ] || { skip "image tests" "need root (device nodes, owners)"; exit 0; }

W=$T/work R=$T/root
mkdir -p "$R"/{boot/efi/EFI/BOOT,etc,dev,usr/bin,usr/sbin,tmp,root} "$W/state"
printf 'not really an EFI binary\n' >"$R/boot/efi/EFI/BOOT/BOOTX64.EFI"
printf 'set timeout=0\n' >"$R/boot/efi/EFI/BOOT/grub.cfg"
mkdir -p "$R/boot/efi/loader dir/deeper"
echo x >"$R/boot/efi/loader dir/deeper/file with spaces"
echo "lfs 12.3" >"$R/etc/lfs-release"
ln "$R/etc/lfs-release" "$R/etc/hard-link"
ln -s lfs-release "$R/etc/sym-link"
mknod "$R/dev/null" c 1 3
mknod "$R/dev/vda" b 254 0
printf '#!/bin/sh\n' >"$R/usr/bin/suid" && chmod 4755 "$R/usr/bin/suid"
printf '#!/bin/sh\n' >"$R/usr/sbin/capped" && chmod 755 "$R/usr/sbin/capped"
setcap cap_net_raw+ep "$R/usr/sbin/capped"
chown 1000:100 "$R/etc/sym-link" -h
chmod 1777 "$R/tmp"
ids="DISK_GUID=0f0e0d0c-0b0a-4908-8706-050403020100
ESP_PARTUUID=1a2b3c4d-5e6f-4a8b-9c0d-1e2f3a4b5c6d
ROOT_PARTUUID=6d5c4b3a-2f1e-4d0c-9b8a-6f5e4d3c2b1a
ROOT_FS_UUID=99999999-8888-4777-8666-555555555555"
echo "$ids" >"$W/state/disk.conf"

ok "image a small tree" "$LFSBUILD" -C "$W" image --root "$R" -o "$T/disk.qcow2" --size 1G
ok "the output exists, no .part left" test -f "$T/disk.qcow2" -a ! -e "$T/disk.qcow2.part"
ok "the scratch directory is empty" test -z "$(ls -A "$W/tmp")"
ok "image.log has the command lines (as root: mke2fs -d under a read-only noatime bind mount)" grep -qE '^\$ (unshare --mount .* )?mke2fs .* -d ' "$W/logs/image.log"
ok "qemu-img check" qemu-img check "$T/disk.qcow2"
ok "it is qcow2 of 1 GiB" sh -c "qemu-img info '$T/disk.qcow2' | grep -q 'file format: qcow2' && qemu-img info '$T/disk.qcow2' | grep -q 'virtual size: 1 GiB'"
ok "the disk ids are unchanged in the state" test "$(grep -v '^#' "$W/state/disk.conf")" = "$ids"

qemu-img convert -O raw "$T/disk.qcow2" "$T/disk.raw"
sfdisk -d "$T/disk.raw" | sed "s|$T/disk.raw|DISK|" >"$T/sfdisk.out"
cat >"$T/sfdisk.want" <<SF
label: gpt
label-id: 0F0E0D0C-0B0A-4908-8706-050403020100
device: DISK
unit: sectors
first-lba: 34
last-lba: 2097118
sector-size: 512

DISK1 : start=        2048, size=      614400, type=C12A7328-F81F-11D2-BA4B-00A0C93EC93B, uuid=1A2B3C4D-5E6F-4A8B-9C0D-1E2F3A4B5C6D, name="EFI system partition"
DISK2 : start=      616448, size=     1478656, type=4F68BCE3-E8CD-4DB1-96E7-FBCAF984B709, uuid=6D5C4B3A-2F1E-4D0C-9B8A-6F5E4D3C2B1A, name="LFS root"
SF
ok "sfdisk -d reads the layout: ESP 1-301 MiB, root 301 MiB to the last whole MiB, the state's ids" diff -u "$T/sfdisk.want" "$T/sfdisk.out"
ok "sgdisk -v finds no problem" sh -c "sgdisk -v '$T/disk.raw' | grep -q 'No problems found'"

E=$T/disk.raw@@$((2048 * 512)) X="$T/disk.raw?offset=$((616448 * 512))"
ok "fsck.ext4 -fn on the root partition" e2fsck -fn "$X"
dd if="$T/disk.raw" of="$T/esp.fat" bs=1M skip=1 count=300 status=none
ok "fsck.vfat -n on the ESP" fsck.vfat -n "$T/esp.fat"
ok "the ESP holds EFI/BOOT/BOOTX64.EFI" sh -c "MTOOLS_SKIP_CHECK=1 mtype -i '$E' ::/EFI/BOOT/BOOTX64.EFI | grep -q 'not really'"
ok "the ESP holds nested names with spaces" sh -c "MTOOLS_SKIP_CHECK=1 mtype -i '$E' '::/loader dir/deeper/file with spaces' | grep -qx x"
ok "the ESP is FAT32" test "$(dd if="$T/esp.fat" bs=1 skip=82 count=8 status=none)" = "FAT32   "

dbg() { debugfs -R "$1" "$X" 2>/dev/null; }
expect_in "ext4 label and UUID from the state" "99999999-8888-4777-8666-555555555555" "$(dumpe2fs -h "$X" 2>/dev/null | grep UUID)"
expect_in "/boot/efi is an empty directory in the root" "2" "$(dbg 'ls -p /boot/efi' | grep -c '^/')"
expect_in "hard link: 2 links" "Links: 2" "$(dbg 'stat /etc/hard-link')"
expect_in "hard link: the same inode" "$(dbg 'stat /etc/lfs-release' | sed -n 's/^Inode: \([0-9]*\).*/\1/p')" "$(dbg 'stat /etc/hard-link' | sed -n 's/^Inode: \([0-9]*\).*/Inode: \1/p')"
expect_in "symlink target" 'Fast link dest: "lfs-release"' "$(dbg 'stat /etc/sym-link')"
expect_in "symlink owner 1000:100" "User:  1000   Group:   100" "$(dbg 'stat /etc/sym-link')"
expect_in "setuid mode" "Mode:  04755" "$(dbg 'stat /usr/bin/suid')"
expect_in "sticky /tmp" "Mode:  01777" "$(dbg 'stat /tmp')"
expect_in "character device node 1,3" "Device major/minor number: 01:03" "$(dbg 'stat /dev/null')"
expect_in "block device node 254,0" "Type: block special" "$(dbg 'stat /dev/vda')"
expect_in "file capability (security.capability) kept" "security.capability" "$(dbg 'ea_list /usr/sbin/capped')"
expect_in "root owns /" "User:     0   Group:     0" "$(dbg 'stat /')"

# A second image: the same ids (nothing regenerated), a size that is not whole MiBs.
ok "image of 1 GiB + 7 sectors" "$LFSBUILD" -C "$W" image --root "$R" -o "$T/odd.qcow2" --size $(((1 << 30) + 7 * 512))
qemu-img convert -O raw "$T/odd.qcow2" "$T/odd.raw"
expect_in "odd size: the root ends on the last whole MiB" "start=      616448, size=     1478656" "$(sfdisk -d "$T/odd.raw")"
expect_in "odd size: last-lba respected" "last-lba: 2097125" "$(sfdisk -d "$T/odd.raw")"
ok "odd size: sgdisk -v finds no problem" sh -c "sgdisk -v '$T/odd.raw' | grep -q 'No problems found'"
ok "odd size: fsck.ext4" e2fsck -fn "$T/odd.raw?offset=$((616448 * 512))"
rm -f "$T"/*.raw

# Failures: say what failed, leave nothing behind.
fails "a missing root tree fails" "$LFSBUILD" -C "$W" image --root "$T/nope" -o "$T/x.qcow2"
expect_in "it says so" "no such directory" "$(cat "$T/.out")"
fails "a disk too small fails" "$LFSBUILD" -C "$W" image --root "$R" -o "$T/x.qcow2" --size 300M
expect_in "it says why" "too small" "$(cat "$T/.out")"
fails_with 2 "a bad size is a usage error (exit 2)" "$LFSBUILD" -C "$W" image --root "$R" -o "$T/x.qcow2" --size 12Q
printf 'x' >"$R/boot/efi/a\"quote"
fails "a name FAT cannot hold in the ESP fails" "$LFSBUILD" -C "$W" image --root "$R" -o "$T/x.qcow2"
expect_in "it names the failing tool and the log" "mcopy (filling the EFI system partition) failed" "$(cat "$T/.out")"
rm -f "$R/boot/efi/a\"quote"
ok "after the failures: no output, no .part, no scratch" test ! -e "$T/x.qcow2" -a ! -e "$T/x.qcow2.part" -a -z "$(ls -A "$W/tmp")"

# The work directory's own root is not imaged while a build holds the work directory's lock.
if command -v flock >/dev/null; then
	mkdir -p "$W/root"
	: >"$W/state/lock"
	fails "image of WORKDIR/root while a build runs there" flock "$W/state/lock" "$LFSBUILD" -C "$W" image -o "$T/x.qcow2"
	expect_in "it says why" "a build is running in $W; image its root when the build has ended" "$(cat "$T/.out")"
	ok "nothing written" test ! -e "$T/x.qcow2" -a ! -e "$T/x.qcow2.part"
else
	skip "image of WORKDIR/root while a build runs there" "no flock(1)"
fi
