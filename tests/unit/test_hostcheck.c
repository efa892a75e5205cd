/* Unit tests of hostcheck: version comparison and extraction. */
#include "unit.h"

#include "cli/hostcheck.h"

static void test_version_cmp(void **state)
{
	(void)state;
	assert_true(version_cmp("2.5.1a", "2.5.4") < 0);
	assert_true(version_cmp("2.13.1", "2.5.4") > 0);
	assert_true(version_cmp("3.8", "3.8") == 0);
	assert_true(version_cmp("3.8", "3.8.0") == 0);
	assert_true(version_cmp("5.2.15", "5.2") > 0);
	assert_true(version_cmp("1.3.12", "1.12") < 0);
	assert_true(version_cmp("2.5.1b", "2.5.1a") > 0);
	assert_true(version_cmp("4.0", "4.3") < 0);
}

static void test_version_find(void **state)
{
	(void)state;
	char v[32];
	assert_true(version_find("GNU bash, version 5.2.15(1)-release (x86_64-pc-linux-gnu)", v, sizeof v));
	assert_string_equal(v, "5.2.15");
	assert_true(version_find("\nThis is perl 5, version 36, subversion 0 (v5.36.0) built", v, sizeof v));
	assert_string_equal(v, "5.36.0");
	assert_true(version_find("grep (GNU grep) 2.5.1a\n", v, sizeof v));
	assert_string_equal(v, "2.5.1a");
	assert_true(version_find("GNU ld (GNU Binutils for Debian) 2.40", v, sizeof v));
	assert_string_equal(v, "2.40");
	assert_true(version_find("mke2fs 1.47.0 (5-Feb-2023)", v, sizeof v));
	assert_string_equal(v, "1.47.0");
	assert_false(version_find("no version here 42", v, sizeof v));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_version_cmp),
		cmocka_unit_test(test_version_find),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
