# `lfsbuild image` run twice on the same root gives the same lfs.qcow2, byte for byte: the ids
# come from state/disk.conf, the tools' clocks are SOURCE_DATE_EPOCH (else the book's release
# date), mke2fs takes our settings and not the host's /etc/mke2fs.conf.
. "$(dirname "$0")/../lib/check.sh"
for t in mke2fs mkfs.vfat mcopy qemu-img dumpe2fs blkid; do
	command -v $t >/dev/null || { skip "image determinism" "$t missing (make deps)"; exit 0; }
done
W=$T/work R=$T/root
mkdir -p "$W" "$R/boot/efi/EFI/BOOT" "$R/etc" "$R/usr/bin" "$R/var/empty"
echo lfs >"$R/etc/hostname"
printf 'efi\n' >"$R/boot/efi/EFI/BOOT/BOOTX64.EFI"
printf 'grub\n' >"$R/boot/efi/EFI/BOOT/grub.cfg"
echo tool >"$R/usr/bin/tool" && ln "$R/usr/bin/tool" "$R/usr/bin/tool2" && ln -s tool "$R/usr/bin/tool3"
# Files last read long ago: a read now would move their access time (relatime), and mke2fs -d
# copies access times into the image.
touch -a -d @1000000 "$R/etc/hostname" "$R/usr/bin/tool" "$R/boot/efi/EFI/BOOT/grub.cfg"
img() { "$LFSBUILD" -C "$W" image --root "$R" -o "$1" --size 1G; }
ok "the first image" img "$T/a.qcow2"
sleep 1.1   # a clock that ticked between the two would show in the bytes
ok "the second image of the same root" img "$T/b.qcow2"
ok "they are identical (cmp)" cmp "$T/a.qcow2" "$T/b.qcow2"
ok "imaging read the root without moving its access times" test "$(stat -c %X "$R/etc/hostname" "$R/usr/bin/tool")" = "1000000
1000000"
. "$W/state/disk.conf"
qemu-img convert -O raw "$T/a.qcow2" "$T/a.raw"
esp=$(blkid -p -O $((2048 * 512)) -s UUID -o value "$T/a.raw")
want=$(printf '%s' "$ESP_PARTUUID" | cut -c1-8 | tr a-f A-F)
ok "the FAT volume id is the ESP's PARTUUID's first 8 digits ($esp)" test "$esp" = "${want:0:4}-${want:4:4}"
dd if="$T/a.raw" of="$T/p2" bs=1M skip=301 count=64 status=none
h=$(dumpe2fs -h "$T/p2" 2>/dev/null)
expect_in "the ext4 hash seed is the file system's UUID" "Directory Hash Seed:      $ROOT_FS_UUID" "$h"
expect_in "the ext4 features are ours, not the host's mke2fs.conf" "Filesystem features:      has_journal ext_attr resize_inode dir_index filetype extent 64bit flex_bg sparse_super large_file huge_file dir_nlink extra_isize metadata_csum" "$h"
expect_in "created at the book's release date without SOURCE_DATE_EPOCH" "Filesystem created:       Wed Mar  5 00:00:00 2025" "$h"
ok "SOURCE_DATE_EPOCH=0 gives another image" env SOURCE_DATE_EPOCH=0 "$LFSBUILD" -C "$W" image --root "$R" -o "$T/c.qcow2" --size 1G
fails "... which differs" cmp -s "$T/a.qcow2" "$T/c.qcow2"
ok "and is the same again the second time" env SOURCE_DATE_EPOCH=0 "$LFSBUILD" -C "$W" image --root "$R" -o "$T/d.qcow2" --size 1G
ok "(cmp)" cmp "$T/c.qcow2" "$T/d.qcow2"
