/* Unit tests of disk (the free-space guard) and of the recipe's `disk` line. */
#include "unit.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "engine/diskspace.h"
#include "book/recipe.h"

static void test_parse_size(void **state)
{
	(void)state;
	unsigned long long v = 0;
	assert_int_equal(recipe_parse_size("650M", &v), 0);
	assert_true(v == 650ULL << 20);
	assert_int_equal(recipe_parse_size("3.8G", &v), 0);
	assert_true(v == (unsigned long long)(3.8 * 1024 * 1024 * 1024 + 0.5));
	assert_int_equal(recipe_parse_size("5.1 GB", &v), 0); /* as the book writes it */
	assert_true(v > 5ULL << 30 && v < 6ULL << 30);
	assert_int_equal(recipe_parse_size("12 MB", &v), 0);
	assert_true(v == 12ULL << 20);
	assert_int_equal(recipe_parse_size("1GiB", &v), 0);
	assert_true(v == 1ULL << 30);
	const char *bad[] = {"", "G", "12", "12K", "-1G", "0M", "1.5T", "abcM", "3.8G extra", "2000G", " 5M"};
	for (size_t i = 0; i < sizeof bad / sizeof *bad; i++)
		assert_int_equal(recipe_parse_size(bad[i], &v), -1);
}

static struct recipe_set one_stage(void)
{
	struct recipe_set set = {0};
	set.stages = xcalloc(1, sizeof *set.stages);
	set.stages[0].name = xstrdup("one");
	set.stages[0].mode = MODE_USER;
	set.nstages = 1;
	return set;
}

static void test_disk_line(void **state)
{
	(void)state;
	struct recipe_set set = one_stage();
	struct recipe r;
	struct buf err = {0};
	const char *with = "title x\nstage one\ndisk   3.8G\n%build\ndisk usage\n";
	const char *without = "title x\nstage one\n%build\ndisk usage\n";
	assert_int_equal(recipe_parse(&set, "x.recipe", "ch1/x", with, &r, &err), 0);
	assert_true(r.disk == (unsigned long long)(3.8 * 1024 * 1024 * 1024 + 0.5));
	assert_int_equal(r.disk_line, 3);
	/* the stamp hashes the text without the `disk` line (a body line "disk ..." stays) */
	assert_string_equal(r.hashed, without);
	assert_string_equal(r.text, with);
	recipe_free(&r);
	assert_int_equal(recipe_parse(&set, "y.recipe", "ch1/y", without, &r, &err), 0);
	assert_true(r.disk == 0);
	assert_string_equal(r.hashed, without);
	recipe_free(&r);
	/* errors: file:line: reason */
	assert_int_equal(recipe_parse(&set, "z.recipe", "ch1/z", "title x\nstage one\ndisk lots\ndisk 1G\ndisk 2G\n%build\n",
	                              &r, &err), -1);
	assert_non_null(strstr(err.data, "z.recipe:3: disk wants a size such as 650M or 3.8G, not 'lots'"));
	assert_non_null(strstr(err.data, "z.recipe:5: disk is given twice (first on line 4)"));
	recipe_free(&r);
	buf_free(&err);
	recipe_set_free(&set);
}

static void test_check(void **state)
{
	(void)state;
	unsigned long long avail = 0, dev = 0;
	assert_int_equal(disk_free("/", &avail, &dev), 0);
	assert_true(avail > 0);
	/* a path that does not exist yet: its nearest parent */
	unsigned long long a2 = 0, dev2 = 1;
	assert_int_equal(disk_free("/no/such/dir/at/all", &a2, &dev2), 0);
	assert_true(dev2 == dev);
	const char *paths[] = {"/", "/no/such/dir"};
	struct buf why = {0};
	assert_int_equal(disk_check(paths, 2, 1, &why), 0);
	assert_null(why.data);
	/* 1 PiB: nowhere; the same file system is said once */
	assert_int_equal(disk_check(paths, 2, 1ULL << 50, &why), -1);
	assert_non_null(strstr(why.data, "needs about 1024.0 TiB, "));
	assert_non_null(strstr(why.data, " free on / (/)"));
	assert_null(strstr(why.data, ";"));
	buf_free(&why);
	assert_int_equal(disk_fullest(paths, 2, &a2), 0);
}

static void test_mount_point(void **state)
{
	(void)state;
	char *m = disk_mount_point("/proc/self/fd");
	assert_string_equal(m, "/proc");
	free(m);
	m = disk_mount_point("/");
	assert_string_equal(m, "/");
	free(m);
	m = disk_mount_point("/proc/no/such/thing");
	assert_string_equal(m, "/proc");
	free(m);
}

static void test_log_says_full(void **state)
{
	(void)state;
	char path[] = "/tmp/lfsbuild-disk-test.XXXXXX";
	int fd = mkstemp(path);
	assert_true(fd >= 0);
	FILE *f = fdopen(fd, "w");
	for (int i = 0; i < 100000; i++)
		fprintf(f, "a line of output number %d\n", i);
	fflush(f);
	assert_false(disk_log_says_full(path));
	fprintf(f, "cp: error writing 'x': No space left on device\n");
	fclose(f);
	assert_true(disk_log_says_full(path));
	unlink(path);
	assert_false(disk_log_says_full(path));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_size),
		cmocka_unit_test(test_disk_line),
		cmocka_unit_test(test_check),
		cmocka_unit_test(test_mount_point),
		cmocka_unit_test(test_log_says_full),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
