/* image: the bootable disk from a root tree: our GPT, a FAT32 ESP (mkfs.vfat + mtools), an ext4
 * root (mke2fs -d), copied sparsely into a raw disk and converted to qcow2 (qemu-img); no loop
 * device, no mount. */
#pragma once
#include <stdbool.h>
#include <stdint.h>
#include "book/diskids.h"

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
	const struct disk_ids *ids; /* WORKDIR/state/disk.conf (disk_ids_load) */
};

/* The time the image's tools write into it: SOURCE_DATE_EPOCH when set, else LFS 12.3's
 * release date (2025-03-05). */
long long image_epoch(void);
/* Build the image. 0, or -1 after saying what failed; nothing is left behind on failure. */
int image_build(const struct image_opts *o);
