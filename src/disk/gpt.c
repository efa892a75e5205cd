/* gpt: protective MBR + GUID partition table, primary and backup, written with pwrite(). */
#include "disk/gpt.h"

#include <endian.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>

#include "lib/util.h"

const char GPT_TYPE_ESP[] = "c12a7328-f81f-11d2-ba4b-00a0c93ec93b";
const char GPT_TYPE_ROOT_X86_64[] = "4f68bce3-e8cd-4db1-96e7-fbcaf984b709";

#define ARRAY_SECTORS (GPT_ENTRIES * 128u / GPT_SECTOR)   /* 32 */
#define MIB_SECTORS (1024u * 1024u / GPT_SECTOR)

struct mbr_part {
	uint8_t status;
	uint8_t chs_first[3];
	uint8_t type;
	uint8_t chs_last[3];
	uint32_t lba_first;
	uint32_t sectors;
} __attribute__((packed));
_Static_assert(sizeof(struct mbr_part) == 16, "MBR partition entry is 16 bytes");

struct mbr {
	uint8_t boot_code[440];
	uint32_t disk_signature;
	uint16_t reserved;
	struct mbr_part part[4];
	uint16_t signature;             /* 0xaa55 */
} __attribute__((packed));
_Static_assert(sizeof(struct mbr) == 512, "MBR is one sector");

struct gpt_header {
	char signature[8];              /* "EFI PART" */
	uint32_t revision;              /* 1.0 */
	uint32_t header_size;           /* 92 */
	uint32_t header_crc32;
	uint32_t reserved;
	uint64_t my_lba;
	uint64_t alternate_lba;
	uint64_t first_usable_lba;
	uint64_t last_usable_lba;
	uint8_t disk_guid[16];
	uint64_t entries_lba;
	uint32_t num_entries;
	uint32_t entry_size;
	uint32_t entries_crc32;
} __attribute__((packed));
_Static_assert(sizeof(struct gpt_header) == 92, "GPT header is 92 bytes");

struct gpt_entry {
	uint8_t type_guid[16];
	uint8_t unique_guid[16];
	uint64_t first_lba;
	uint64_t last_lba;
	uint64_t attributes;
	uint16_t name[36];              /* UTF-16LE */
} __attribute__((packed));
_Static_assert(sizeof(struct gpt_entry) == 128, "GPT entry is 128 bytes");

/* ---- GUIDs ---- */

static int hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Text order of the 16 bytes: the first three fields are stored little-endian. */
static const int text_to_disk[16] = {3, 2, 1, 0, 5, 4, 7, 6, 8, 9, 10, 11, 12, 13, 14, 15};

int gpt_guid_parse(const char *text, struct gpt_guid *g)
{
	if (strlen(text) != 36)
		return -1;
	int k = 0;
	for (int i = 0; i < 36;) {
		if (i == 8 || i == 13 || i == 18 || i == 23) {
			if (text[i++] != '-')
				return -1;
			continue;
		}
		int hi = hexval(text[i]), lo = hexval(text[i + 1]);
		if (hi < 0 || lo < 0)
			return -1;
		g->b[text_to_disk[k++]] = (uint8_t)(hi << 4 | lo);
		i += 2;
	}
	return 0;
}

void gpt_guid_format(const struct gpt_guid *g, char out[37])
{
	char *p = out;
	for (int k = 0; k < 16; k++) {
		if (k == 4 || k == 6 || k == 8 || k == 10)
			*p++ = '-';
		p += sprintf(p, "%02x", g->b[text_to_disk[k]]);
	}
	*p = '\0';
}

int gpt_guid_random(struct gpt_guid *g)
{
	uint8_t r[16];
	if (random_bytes(r, sizeof r) < 0)
		return -1;
	r[6] = (uint8_t)((r[6] & 0x0f) | 0x40);  /* version 4 (text byte 6) */
	r[8] = (uint8_t)((r[8] & 0x3f) | 0x80);  /* RFC 4122 variant (text byte 8) */
	for (int k = 0; k < 16; k++)
		g->b[text_to_disk[k]] = r[k];
	return 0;
}

/* ---- layout ---- */

static void set_part(struct gpt_part *p, const char *type, const struct gpt_guid *uuid, uint64_t first,
                     uint64_t last, const char *name)
{
	memset(p, 0, sizeof *p);
	gpt_guid_parse(type, &p->type);
	p->uuid = *uuid;
	p->first = first;
	p->last = last;
	snprintf(p->name, sizeof p->name, "%s", name);
}

int gpt_plan(uint64_t bytes, uint64_t min_root_bytes, const struct gpt_guid *disk,
             const struct gpt_guid *esp, const struct gpt_guid *root, struct gpt_layout *l)
{
	memset(l, 0, sizeof *l);
	l->sectors = bytes / GPT_SECTOR;
	l->first_usable = 2 + ARRAY_SECTORS;                   /* 34 */
	if (l->sectors < 2 * (1 + ARRAY_SECTORS) + 2) {
		errno = EINVAL;
		return -1;
	}
	l->last_usable = l->sectors - 2 - ARRAY_SECTORS;       /* before backup array + header */
	l->disk = *disk;
	uint64_t esp_first = 1 * MIB_SECTORS, root_first = 301 * MIB_SECTORS;
	/* The root ends on the last whole MiB that fits before the backup table. */
	uint64_t root_end = (l->last_usable + 1) / MIB_SECTORS * MIB_SECTORS;
	if (root_end <= root_first || (root_end - root_first) * GPT_SECTOR < min_root_bytes) {
		errno = EINVAL;
		return -1;
	}
	l->nparts = 2;
	set_part(&l->part[0], GPT_TYPE_ESP, esp, esp_first, root_first - 1, "EFI system partition");
	set_part(&l->part[1], GPT_TYPE_ROOT_X86_64, root, root_first, root_end - 1, "LFS root");
	return 0;
}

/* ---- writing ---- */

static int pwrite_all(int fd, const void *p, size_t n, uint64_t off)
{
	const char *c = p;
	while (n) {
		ssize_t w = pwrite(fd, c, n, (off_t)off);
		if (w < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		c += w;
		n -= (size_t)w;
		off += (uint64_t)w;
	}
	return 0;
}

static int pread_all(int fd, void *p, size_t n, uint64_t off)
{
	char *c = p;
	while (n) {
		ssize_t r = pread(fd, c, n, (off_t)off);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0) {
			if (r == 0)
				errno = EIO;
			return -1;
		}
		c += r;
		n -= (size_t)r;
		off += (uint64_t)r;
	}
	return 0;
}

static uint32_t crc(const void *p, size_t n)
{
	return (uint32_t)crc32(0L, p, (uInt)n);
}

static void fill_header(struct gpt_header *h, const struct gpt_layout *l, bool primary, uint32_t entries_crc)
{
	memset(h, 0, sizeof *h);
	memcpy(h->signature, "EFI PART", 8);
	h->revision = htole32(0x00010000);
	h->header_size = htole32(sizeof *h);
	h->my_lba = htole64(primary ? 1 : l->sectors - 1);
	h->alternate_lba = htole64(primary ? l->sectors - 1 : 1);
	h->first_usable_lba = htole64(l->first_usable);
	h->last_usable_lba = htole64(l->last_usable);
	memcpy(h->disk_guid, l->disk.b, 16);
	h->entries_lba = htole64(primary ? 2 : l->sectors - 1 - ARRAY_SECTORS);
	h->num_entries = htole32(GPT_ENTRIES);
	h->entry_size = htole32(sizeof(struct gpt_entry));
	h->entries_crc32 = htole32(entries_crc);
	h->header_crc32 = htole32(crc(h, sizeof *h));
}

int gpt_write(int fd, const struct gpt_layout *l)
{
	struct mbr mbr;
	memset(&mbr, 0, sizeof mbr);
	/* One partition of type 0xEE over the whole disk (or as much as 32 bits say). */
	mbr.part[0] = (struct mbr_part){
		.status = 0, .chs_first = {0x00, 0x02, 0x00}, .type = 0xee, .chs_last = {0xff, 0xff, 0xff},
		.lba_first = htole32(1),
		.sectors = htole32(l->sectors - 1 > 0xffffffffu ? 0xffffffffu : (uint32_t)(l->sectors - 1)),
	};
	mbr.signature = htole16(0xaa55);

	struct gpt_entry *ents = calloc(GPT_ENTRIES, sizeof *ents);
	if (!ents)
		return -1;
	for (int i = 0; i < l->nparts; i++) {
		const struct gpt_part *p = &l->part[i];
		memcpy(ents[i].type_guid, p->type.b, 16);
		memcpy(ents[i].unique_guid, p->uuid.b, 16);
		ents[i].first_lba = htole64(p->first);
		ents[i].last_lba = htole64(p->last);
		for (int k = 0; k < 36 && p->name[k]; k++)
			ents[i].name[k] = htole16((uint16_t)(unsigned char)p->name[k]);
	}
	size_t ents_size = GPT_ENTRIES * sizeof *ents;
	uint32_t ents_crc = crc(ents, ents_size);

	char sector[GPT_SECTOR];
	struct gpt_header h;
	int rc = -1;
	if (pwrite_all(fd, &mbr, sizeof mbr, 0) < 0)
		goto out;
	memset(sector, 0, sizeof sector);
	fill_header(&h, l, true, ents_crc);
	memcpy(sector, &h, sizeof h);
	if (pwrite_all(fd, sector, sizeof sector, GPT_SECTOR) < 0 ||
	    pwrite_all(fd, ents, ents_size, 2 * (uint64_t)GPT_SECTOR) < 0)
		goto out;
	fill_header(&h, l, false, ents_crc);
	memset(sector, 0, sizeof sector);
	memcpy(sector, &h, sizeof h);
	if (pwrite_all(fd, ents, ents_size, (l->sectors - 1 - ARRAY_SECTORS) * GPT_SECTOR) < 0 ||
	    pwrite_all(fd, sector, sizeof sector, (l->sectors - 1) * GPT_SECTOR) < 0)
		goto out;
	rc = 0;
out:
	free(ents);
	return rc;
}

/* ---- reading back (for tests and the final check) ---- */

static int read_header(int fd, uint64_t lba, struct gpt_header *h, struct gpt_entry *ents, const char **why)
{
	if (pread_all(fd, h, sizeof *h, lba * GPT_SECTOR) < 0) {
		*why = "cannot read a GPT header";
		return -1;
	}
	if (memcmp(h->signature, "EFI PART", 8)) {
		*why = "no \"EFI PART\" signature";
		return -1;
	}
	struct gpt_header c = *h;
	c.header_crc32 = 0;
	if (le32toh(h->header_size) != sizeof *h || crc(&c, sizeof c) != le32toh(h->header_crc32)) {
		*why = "GPT header CRC32 mismatch";
		return -1;
	}
	if (le32toh(h->num_entries) != GPT_ENTRIES || le32toh(h->entry_size) != sizeof *ents) {
		*why = "unexpected GPT entry array geometry";
		return -1;
	}
	if (pread_all(fd, ents, GPT_ENTRIES * sizeof *ents, le64toh(h->entries_lba) * GPT_SECTOR) < 0) {
		*why = "cannot read the GPT entry array";
		return -1;
	}
	if (crc(ents, GPT_ENTRIES * sizeof *ents) != le32toh(h->entries_crc32)) {
		*why = "GPT entry array CRC32 mismatch";
		return -1;
	}
	return 0;
}

int gpt_read(int fd, uint64_t bytes, struct gpt_layout *l, const char **why)
{
	static struct gpt_entry ents[GPT_ENTRIES], bents[GPT_ENTRIES];
	struct gpt_header h, bh;
	struct mbr mbr;
	memset(l, 0, sizeof *l);
	l->sectors = bytes / GPT_SECTOR;
	if (pread_all(fd, &mbr, sizeof mbr, 0) < 0 || le16toh(mbr.signature) != 0xaa55 || mbr.part[0].type != 0xee) {
		*why = "no protective MBR";
		return -1;
	}
	if (read_header(fd, 1, &h, ents, why) < 0)
		return -1;
	if (le64toh(h.my_lba) != 1 || le64toh(h.alternate_lba) != l->sectors - 1) {
		*why = "primary header does not point at the last sector";
		return -1;
	}
	if (read_header(fd, l->sectors - 1, &bh, bents, why) < 0)
		return -1;
	if (le64toh(bh.my_lba) != l->sectors - 1 || memcmp(ents, bents, sizeof ents) ||
	    memcmp(h.disk_guid, bh.disk_guid, 16)) {
		*why = "backup GPT differs from the primary";
		return -1;
	}
	l->first_usable = le64toh(h.first_usable_lba);
	l->last_usable = le64toh(h.last_usable_lba);
	memcpy(l->disk.b, h.disk_guid, 16);
	for (unsigned i = 0; i < GPT_ENTRIES && l->nparts < GPT_MAX_PARTS; i++) {
		static const uint8_t zero[16];
		if (!memcmp(ents[i].type_guid, zero, 16))
			continue;
		struct gpt_part *p = &l->part[l->nparts++];
		memcpy(p->type.b, ents[i].type_guid, 16);
		memcpy(p->uuid.b, ents[i].unique_guid, 16);
		p->first = le64toh(ents[i].first_lba);
		p->last = le64toh(ents[i].last_lba);
		for (int k = 0; k < 36; k++)
			p->name[k] = (char)le16toh(ents[i].name[k]);
		p->name[36] = '\0';
	}
	return 0;
}
