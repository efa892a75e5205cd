/* image: the bootable disk from a root tree: our GPT, a FAT32 ESP (mkfs.vfat + mtools), an ext4
 * root (mke2fs -d), copied sparsely into a raw disk and converted to qcow2 (qemu-img); no loop
 * device, no mount. */
#pragma once
#include <stdbool.h>
#include <stdint.h>
#include "config/config.h"

/* The identity of the disk, kept in WORKDIR/state/disk.conf (shell syntax: DISK_GUID=...,
 * ESP_PARTUUID=..., ROOT_PARTUUID=..., ROOT_FS_UUID=...), so that fstab, grub.cfg and the
 * disk agree. Lowercase text GUIDs. */
struct disk_ids {
	char disk[37], esp[37], root[37], root_fs[37];
};

/* Load WORKDIR/state/disk.conf, creating it with fresh random ids the first time (atomically).
 * 0, or -1 after saying what failed. */
int image_disk_ids(const struct config *cfg, struct disk_ids *ids);
/* Parse a size: a number with an optional K, M, G or T suffix (powers of 1024; "B" and "iB"
 * accepted after it). 0 or -1. */
int image_parse_size(const char *text, uint64_t *bytes);

struct image_opts {
	const char *root;       /* the tree to put on the disk; ROOT/boot/efi is the ESP */
	const char *output;     /* the qcow2 file (written to OUTPUT.part, renamed at the end) */
	const char *tmpdir;     /* where the scratch files go (WORKDIR/tmp) */
	const char *logpath;    /* the tools' command lines and output (WORKDIR/logs/image.log) */
	uint64_t size;          /* virtual disk size in bytes */
	bool compress;          /* qemu-img convert -c */
	const struct disk_ids *ids;
};

/* Build the image. 0, or -1 after saying what failed; nothing is left behind on failure. */
int image_build(const struct image_opts *o);
