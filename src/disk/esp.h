/* esp: the content of the EFI system partition, ROOT/boot/efi, copied into a private staging
 * directory before mtools sees it. The root was made by the book's steps, which lfsbuild does not
 * trust: a symlink there (EFI/x -> /etc/shadow) would make `mcopy -s` copy the host's file into
 * the ESP. FAT has no links, devices nor FIFOs, so each is refused with its path as the new root
 * sees it; the walk opens every directory and file relative to its parent's fd with O_NOFOLLOW
 * and checks the inode it opened is the one it examined, so nothing is followed, even if the tree
 * changes meanwhile. mcopy then reads only the staged copy, lfsbuild's own. */
#pragma once
#include "lib/util.h"

/* Copy ROOT/boot/efi into the existing empty directory `stage` (regular files with their
 * permissions and times, directories), refusing anything else:
 *   "image: /boot/efi/EFI/x is a symlink (-> /etc/shadow): FAT has no links"
 *   "image: /boot/efi/EFI/x is a character device: FAT holds only files and directories"
 * (also for /boot and /boot/efi themselves). `paths` receives each entry's path below /boot/efi
 * ("/EFI", "/EFI/BOOT/BOOTX64.EFI"), deepest first, a directory's with a trailing '/'. No
 * /boot/efi: 0 and nothing staged. 0, or -1 after saying why (errorf). */
int esp_stage(const char *root, const char *stage, struct strv *paths);
