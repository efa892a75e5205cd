/* gpt: the GUID partition table of the disk image (protective MBR, primary and backup headers
 * and entry arrays with their CRC32s), written by our own code into a raw disk file. */
#pragma once
#include <stdbool.h>
#include <stdint.h>

#define GPT_SECTOR 512u
#define GPT_ENTRIES 128u          /* entries in each array (32 sectors of 128-byte entries) */
#define GPT_ALIGN_SECTORS 2048u   /* 1 MiB */
#define GPT_MAX_PARTS 4

/* A GUID in its on-disk byte order (the first three fields little-endian). */
struct gpt_guid { uint8_t b[16]; };

struct gpt_part {
	struct gpt_guid type, uuid;
	uint64_t first, last;        /* LBAs, inclusive */
	char name[37];               /* ASCII, stored as UTF-16LE */
};

struct gpt_layout {
	uint64_t sectors;            /* disk size in sectors */
	uint64_t first_usable, last_usable;
	struct gpt_guid disk;
	int nparts;
	struct gpt_part part[GPT_MAX_PARTS];
};

/* Well-known partition types. */
extern const char GPT_TYPE_ESP[];      /* c12a7328-f81f-11d2-ba4b-00a0c93ec93b */
extern const char GPT_TYPE_ROOT_X86_64[]; /* 4f68bce3-e8cd-4db1-96e7-fbcaf984b709 */

/* Parse "xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx" (any case); 0 or -1. */
int gpt_guid_parse(const char *text, struct gpt_guid *g);
/* Format as lowercase text into out[37]. */
void gpt_guid_format(const struct gpt_guid *g, char out[37]);
/* A random (version 4) GUID from getrandom(); 0 or -1 with errno. */
int gpt_guid_random(struct gpt_guid *g);

/* The lfsbuild layout for a disk of `bytes` (rounded down to whole sectors): partition 1 the
 * EFI system partition from 1 MiB to 301 MiB, partition 2 the x86-64 root from 301 MiB to the
 * last whole MiB before the backup table. Returns 0, or -1 (errno EINVAL) if the disk is too
 * small for a root partition of at least `min_root_bytes`. */
int gpt_plan(uint64_t bytes, uint64_t min_root_bytes, const struct gpt_guid *disk,
             const struct gpt_guid *esp, const struct gpt_guid *root, struct gpt_layout *l);
/* Write the protective MBR, both headers and both entry arrays into `fd` (a file of at least
 * l->sectors sectors). 0, or -1 with errno. */
int gpt_write(int fd, const struct gpt_layout *l);
/* Read back and validate the primary table of `fd` (signature, CRCs, backup header agreeing).
 * 0, or -1 with a reason in `why` (static text). */
int gpt_read(int fd, uint64_t bytes, struct gpt_layout *l, const char **why);
