/* Unit tests of gpt (against the independent readers sfdisk and sgdisk) and of image_parse_size (the sparse copy is tested in test_fileutil). */
#include "unit.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "disk/gpt.h"
#include "disk/image.h"
#include "lib/util.h"

static void test_guid_text_and_disk_order(void **state)
{
	(void)state;
	struct gpt_guid g;
	assert_int_equal(gpt_guid_parse("C12A7328-F81F-11D2-BA4B-00A0C93EC93B", &g), 0);
	static const uint8_t disk[16] = {0x28, 0x73, 0x2a, 0xc1, 0x1f, 0xf8, 0xd2, 0x11,
	                                 0xba, 0x4b, 0x00, 0xa0, 0xc9, 0x3e, 0xc9, 0x3b};
	assert_memory_equal(g.b, disk, 16);
	char text[37];
	gpt_guid_format(&g, text);
	assert_string_equal(text, GPT_TYPE_ESP);
	assert_int_equal(gpt_guid_parse("c12a7328-f81f-11d2-ba4b-00a0c93ec93", &g), -1);
	assert_int_equal(gpt_guid_parse("c12a7328xf81f-11d2-ba4b-00a0c93ec93b", &g), -1);
	assert_int_equal(gpt_guid_parse("g12a7328-f81f-11d2-ba4b-00a0c93ec93b", &g), -1);
	struct gpt_guid a, b;
	assert_int_equal(gpt_guid_random(&a), 0);
	assert_int_equal(gpt_guid_random(&b), 0);
	assert_memory_not_equal(a.b, b.b, 16);
	gpt_guid_format(&a, text);
	assert_int_equal(text[14], '4');                 /* version 4 */
	assert_non_null(strchr("89ab", text[19]));       /* RFC 4122 variant */
}

static void ids(struct gpt_guid *d, struct gpt_guid *e, struct gpt_guid *r)
{
	gpt_guid_parse("11111111-2222-4333-8444-555555555555", d);
	gpt_guid_parse("aaaaaaaa-bbbb-4ccc-8ddd-eeeeeeeeeeee", e);
	gpt_guid_parse("01234567-89ab-4def-8123-456789abcdef", r);
}

static void test_plan(void **state)
{
	(void)state;
	struct gpt_guid d, e, r;
	ids(&d, &e, &r);
	struct gpt_layout l;
	assert_int_equal(gpt_plan(50ull << 30, 64 << 20, &d, &e, &r, &l), 0);
	assert_int_equal(l.sectors, 104857600);
	assert_int_equal(l.first_usable, 34);
	assert_int_equal(l.last_usable, 104857600 - 34);
	assert_int_equal(l.part[0].first, 2048);             /* 1 MiB */
	assert_int_equal(l.part[0].last, 301 * 2048 - 1);    /* up to 301 MiB */
	assert_int_equal(l.part[1].first, 301 * 2048);
	assert_int_equal(l.part[1].last, 104857600 - 2048 - 1); /* last whole MiB before the backup */
	/* Not a multiple of the alignment (nor of the sector): 1 GiB + 7 sectors + 100 bytes. */
	assert_int_equal(gpt_plan((1ull << 30) + 7 * 512 + 100, 64 << 20, &d, &e, &r, &l), 0);
	assert_int_equal(l.sectors, 2097152 + 7);
	assert_true(l.part[1].last <= l.last_usable);
	assert_int_equal((l.part[1].last + 1) % 2048, 0);
	assert_int_equal(l.part[1].last, 1023 * 2048 - 1);  /* the backup table takes the last MiB's end */
}

static void test_plan_too_small(void **state)
{
	(void)state;
	struct gpt_guid d, e, r;
	ids(&d, &e, &r);
	struct gpt_layout l;
	assert_int_equal(gpt_plan(300ull << 20, 64 << 20, &d, &e, &r, &l), -1);
	assert_int_equal(gpt_plan(350ull << 20, 64 << 20, &d, &e, &r, &l), -1);
	assert_int_equal(gpt_plan(366ull << 20, 64 << 20, &d, &e, &r, &l), 0);
}

static char *run_cmd(const char *cmd, int *status)
{
	FILE *p = popen(cmd, "r");
	assert_non_null(p);
	struct buf b = {0};
	buf_puts(&b, "");
	char chunk[4096];
	size_t n;
	while ((n = fread(chunk, 1, sizeof chunk, p)) > 0)
		buf_add(&b, chunk, n);
	*status = pclose(p);
	return b.data;
}

/* Write the table into a sparse file of `bytes` and compare what sfdisk and sgdisk read. */
static void write_and_read_back(uint64_t bytes)
{
	/* Not ending in a digit: sfdisk would name the partitions PATHp1 then. */
	char path[] = "/tmp/lfsbuild-gpt.XXXXXX.img";
	int fd = mkstemps(path, 4);
	assert_true(fd >= 0);
	assert_int_equal(ftruncate(fd, (off_t)bytes), 0);
	struct gpt_guid d, e, r;
	ids(&d, &e, &r);
	struct gpt_layout l, back;
	assert_int_equal(gpt_plan(bytes, 64 << 20, &d, &e, &r, &l), 0);
	assert_int_equal(gpt_write(fd, &l), 0);
	const char *why = NULL;
	assert_int_equal(gpt_read(fd, bytes, &back, &why), 0);
	assert_int_equal(back.nparts, 2);
	assert_int_equal(back.part[1].last, l.part[1].last);
	assert_string_equal(back.part[0].name, "EFI system partition");

	int st;
	char *cmd = xasprintf("sfdisk -d %s 2>&1", path);
	char *out = run_cmd(cmd, &st);
	assert_int_equal(st, 0);
	char *want = xasprintf("label: gpt\nlabel-id: 11111111-2222-4333-8444-555555555555\ndevice: %s\nunit: sectors\n"
	                       "first-lba: 34\nlast-lba: %llu\nsector-size: 512\n\n"
	                       "%s1 : start=        2048, size=      614400, type=C12A7328-F81F-11D2-BA4B-00A0C93EC93B, "
	                       "uuid=AAAAAAAA-BBBB-4CCC-8DDD-EEEEEEEEEEEE, name=\"EFI system partition\"\n"
	                       "%s2 : start=      616448, size=%12llu, type=4F68BCE3-E8CD-4DB1-96E7-FBCAF984B709, "
	                       "uuid=01234567-89AB-4DEF-8123-456789ABCDEF, name=\"LFS root\"\n",
	                       path, (unsigned long long)(bytes / 512 - 34), path, path,
	                       (unsigned long long)(l.part[1].last - l.part[1].first + 1));
	assert_string_equal(out, want);
	free(out);
	free(cmd);
	free(want);
	cmd = xasprintf("sgdisk -v %s 2>&1", path);
	out = run_cmd(cmd, &st);
	assert_int_equal(st, 0);
	assert_non_null(strstr(out, "No problems found"));
	free(out);
	free(cmd);

	/* Damage one byte of the primary entry array: our reader and sgdisk must both notice. */
	unsigned char x = 0x5a;
	assert_int_equal(pwrite(fd, &x, 1, 1024 + 40), 1);
	assert_int_equal(gpt_read(fd, bytes, &back, &why), -1);
	assert_non_null(strstr(why, "CRC32"));
	cmd = xasprintf("sgdisk -v %s 2>&1", path);
	out = run_cmd(cmd, &st);
	assert_null(strstr(out, "No problems found"));
	free(out);
	free(cmd);
	close(fd);
	unlink(path);
}

static void test_write_50g(void **state)
{
	(void)state;
	write_and_read_back(50ull << 30);
}

static void test_write_odd_size(void **state)
{
	(void)state;
	write_and_read_back((1ull << 30) + 7 * 512);
}

static void test_parse_size(void **state)
{
	(void)state;
	uint64_t b;
	assert_int_equal(image_parse_size("50G", &b), 0);
	assert_int_equal(b, 50ull << 30);
	assert_int_equal(image_parse_size("2048M", &b), 0);
	assert_int_equal(b, 2048ull << 20);
	assert_int_equal(image_parse_size("1TiB", &b), 0);
	assert_int_equal(b, 1ull << 40);
	assert_int_equal(image_parse_size("123456789", &b), 0);
	assert_int_equal(b, 123456789);
	assert_int_equal(image_parse_size("", &b), -1);
	assert_int_equal(image_parse_size("G", &b), -1);
	assert_int_equal(image_parse_size("-1G", &b), -1);
	assert_int_equal(image_parse_size("5X", &b), -1);
	assert_int_equal(image_parse_size("0", &b), -1);
	assert_int_equal(image_parse_size("99999999999T", &b), -1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_guid_text_and_disk_order),
		cmocka_unit_test(test_plan),
		cmocka_unit_test(test_plan_too_small),
		cmocka_unit_test(test_write_50g),
		cmocka_unit_test(test_write_odd_size),
		cmocka_unit_test(test_parse_size),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
