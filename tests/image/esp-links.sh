# lfsbuild image as root over a root tree it does not trust (the book's steps made it): nothing
# of the host reaches the disk through a link the tree holds.
#  - the ESP (ROOT/boot/efi, copied by mtools, which would follow a symlink): a symlink, a device
#    node or a FIFO there is refused with its path as the new root sees it, before any tool runs;
#    so is a /boot or /boot/efi that is a symlink;
#  - the ext4 root (mke2fs -d): symlinks anywhere else are copied as symlinks; the secret file they
#    point to appears nowhere in the disk (the qcow2 converted to raw, searched byte by byte).
. "$(dirname "$0")/../lib/check.sh"

for t in qemu-img mke2fs debugfs e2fsck mkfs.vfat mcopy mdir fsck.vfat; do
	command -v $t >/dev/null || { skip "ESP link tests" "$t missing (make deps)"; exit 0; }
done
[ "$(id -u)" = 0 ] || { skip "ESP link tests" "need root (device nodes, /etc/shadow)"; exit 0; }

W=$T/work R=$T/root
MARK=lfsbuild-esp-secret-$$-$RANDOM-$RANDOM
SECRET=$T/outside/secret
mkdir -p "$T/outside/dir" "$R"/{boot/efi/EFI/BOOT,etc} "$W/state"
printf '%s\n' "$MARK" >"$SECRET"
printf '%s\n' "$MARK" >"$T/outside/dir/inside"
chmod 600 "$SECRET"
printf 'not really an EFI binary\n' >"$R/boot/efi/EFI/BOOT/BOOTX64.EFI"
printf 'DISK_GUID=0f0e0d0c-0b0a-4908-8706-050403020100
ESP_PARTUUID=1a2b3c4d-5e6f-4a8b-9c0d-1e2f3a4b5c6d
ROOT_PARTUUID=6d5c4b3a-2f1e-4d0c-9b8a-6f5e4d3c2b1a
ROOT_FS_UUID=99999999-8888-4777-8666-555555555555\n' >"$W/state/disk.conf"
img() { "$LFSBUILD" -C "$W" image --root "$R" -o "$T/disk.qcow2" --size 1G; }
nothing_left() { test ! -e "$T/disk.qcow2" -a ! -e "$T/disk.qcow2.part" -a -z "$(ls -A "$W/tmp" 2>/dev/null)"; }
secret_nowhere() { ! grep -rqaF -- "$MARK" "$W" "$R/boot" && { [ ! -e "$T/disk.qcow2" ] || ! qemu-img convert -O raw "$T/disk.qcow2" "$T/disk.raw" || ! grep -qaF -- "$MARK" "$T/disk.raw"; }; }
no_tool_ran() { ! grep -q '^\$ ' "$W/logs/image.log"; }

# refused ESP entries: each alone, the failure says exactly what and where; no tool ran
refuse() {  # refuse DESCRIPTION WANTED-LINE
	fails "$1: refused" img
	expect_in "$1: the message" "$2" "$(cat "$T/.out")"
	ok "$1: no tool ran (nothing was copied)" no_tool_ran
	ok "$1: no output, no .part, no scratch left" nothing_left
}
ln -s /etc/shadow "$R/boot/efi/EFI/x"
refuse "EFI/x -> /etc/shadow" "image: /boot/efi/EFI/x is a symlink (-> /etc/shadow): FAT has no links"
if [ -s /etc/shadow ]; then
	ok "no line of /etc/shadow appears under the work directory" bash -c '! grep -rqxF -f /etc/shadow -- "$1"' _ "$W"
fi
rm "$R/boot/efi/EFI/x"
ln -s "$SECRET" "$R/boot/efi/EFI/BOOT/grub.cfg"
refuse "a symlink to a secret file" "image: /boot/efi/EFI/BOOT/grub.cfg is a symlink (-> $SECRET): FAT has no links"
rm "$R/boot/efi/EFI/BOOT/grub.cfg"
ln -s ../../../../../../../../../../..$T/outside/dir "$R/boot/efi/loader"
refuse "a relative symlink to a directory outside" \
	"image: /boot/efi/loader is a symlink (-> ../../../../../../../../../../..$T/outside/dir): FAT has no links"
rm "$R/boot/efi/loader"
mknod "$R/boot/efi/EFI/sda" b 8 0
refuse "a block device in the ESP" "image: /boot/efi/EFI/sda is a block device: FAT holds only files and directories"
rm "$R/boot/efi/EFI/sda"
mknod "$R/boot/efi/null" c 1 3
refuse "a character device in the ESP" "image: /boot/efi/null is a character device: FAT holds only files and directories"
rm "$R/boot/efi/null"
mkfifo "$R/boot/efi/EFI/BOOT/fifo"
refuse "a FIFO in the ESP (never opened: it would block)" "image: /boot/efi/EFI/BOOT/fifo is a FIFO: FAT holds only files and directories"
rm "$R/boot/efi/EFI/BOOT/fifo"
mv "$R/boot/efi" "$R/boot/efi.real"
ln -s "$T/outside" "$R/boot/efi"
refuse "/boot/efi a symlink" "image: /boot/efi is a symlink (-> $T/outside): the ESP is filled from the directory /boot/efi of the root, never through a link"
rm "$R/boot/efi"
mv "$R/boot" "$R/boot.real"
ln -s "$T/outside" "$R/boot"
refuse "/boot a symlink" "image: /boot is a symlink (-> $T/outside): the ESP is filled from the directory /boot/efi of the root, never through a link"
rm "$R/boot"
mv "$R/boot.real" "$R/boot"
mv "$R/boot/efi.real" "$R/boot/efi"
ok "the secret appears nowhere under the work directory" secret_nowhere

# symlinks elsewhere in the root: the image is made, the links are links in the ext4 root
ln -s "$SECRET" "$R/etc/leak"
ln -s "$T/outside/dir" "$R/etc/dirleak"
ln -s /etc/shadow "$R/etc/shadow-link"
ok "image of a root with symlinks to host files outside /boot/efi" img
ok "the ESP holds EFI/BOOT/BOOTX64.EFI" sh -c "qemu-img convert -O raw '$T/disk.qcow2' '$T/disk.raw' && MTOOLS_SKIP_CHECK=1 mtype -i '$T/disk.raw@@$((2048 * 512))' ::/EFI/BOOT/BOOTX64.EFI | grep -q 'not really'"
X="$T/disk.raw?offset=$((616448 * 512))"
dbg() { debugfs -R "$1" "$X" 2>/dev/null; }
expect_in "/etc/leak is a symlink in the ext4 root" "Fast link dest: \"$SECRET\"" "$(dbg 'stat /etc/leak')"
expect_in "/etc/dirleak is a symlink in the ext4 root" "Type: symlink" "$(dbg 'stat /etc/dirleak')"
expect_in "/etc/shadow-link is a symlink in the ext4 root" 'Fast link dest: "/etc/shadow"' "$(dbg 'stat /etc/shadow-link')"
ok "the secret appears nowhere in the disk nor under the work directory" secret_nowhere
if [ -s /etc/shadow ]; then
	ok "no line of /etc/shadow appears in the disk" bash -c '! grep -aqxF -f /etc/shadow -- "$1"' _ "$T/disk.raw"
fi
ok "the secret file is unchanged" test "$(cat "$SECRET")" = "$MARK"
rm -f "$T/disk.raw"
