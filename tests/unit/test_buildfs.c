/* Unit tests of buildfs_decide: where a step's build directory goes (engine/buildfs.c). */
#include "unit.h"

#include <string.h>

#include "engine/buildfs.h"

#define MiB (1ULL << 20)
#define GiB (1ULL << 30)

static void test_auto_fits(void **state)
{
	(void)state;
	struct buildfs_choice c;
	/* 10 MiB: limit 10 + 5 + 256 MiB; 16 GiB RAM keeps 2 GiB free */
	buildfs_decide(NULL, true, 10 * MiB, 8 * GiB, 16 * GiB, 0, &c);
	assert_true(c.tmpfs);
	assert_int_equal(c.limit, 271 * MiB);
	assert_non_null(strstr(c.why, "on a tmpfs of at most 271.0 MiB"));
	buildfs_decide("auto", true, 10 * MiB, 8 * GiB, 16 * GiB, 0, &c);
	assert_true(c.tmpfs);
}

static void test_auto_too_big(void **state)
{
	(void)state;
	struct buildfs_choice c;
	/* 4 GiB: limit 6.25 GiB; with 2 GiB kept free it needs 8.25 GiB available */
	buildfs_decide("auto", true, 4 * GiB, 8 * GiB, 16 * GiB, 0, &c);
	assert_false(c.tmpfs);
	assert_non_null(strstr(c.why, "does not fit"));
	buildfs_decide("auto", true, 4 * GiB, 9 * GiB, 16 * GiB, 0, &c);
	assert_true(c.tmpfs);
	/* ... but not beside a running step's 1 GiB tmpfs */
	buildfs_decide("auto", true, 4 * GiB, 9 * GiB, 16 * GiB, 1 * GiB, &c);
	assert_false(c.tmpfs);
	/* a big machine keeps an eighth of its RAM free: 64 GiB of 512, so 70.25 GiB are needed */
	buildfs_decide("auto", true, 4 * GiB, 71 * GiB, 512 * GiB, 0, &c);
	assert_true(c.tmpfs);
	buildfs_decide("auto", true, 4 * GiB, 70 * GiB, 512 * GiB, 0, &c);
	assert_false(c.tmpfs);
}

static void test_no_disk_line_off_not_root_on(void **state)
{
	(void)state;
	struct buildfs_choice c;
	buildfs_decide("auto", true, 0, 100 * GiB, 128 * GiB, 0, &c);
	assert_false(c.tmpfs);
	assert_non_null(strstr(c.why, "no `disk` line"));
	buildfs_decide("off", true, 10 * MiB, 100 * GiB, 128 * GiB, 0, &c);
	assert_false(c.tmpfs);
	assert_non_null(strstr(c.why, "--build-tmpfs off"));
	buildfs_decide("on", false, 10 * MiB, 100 * GiB, 128 * GiB, 0, &c);
	assert_false(c.tmpfs);
	assert_non_null(strstr(c.why, "needs root"));
	/* on: whatever the memory says; without a disk line half of the RAM */
	buildfs_decide("on", true, 100 * GiB, 1 * GiB, 16 * GiB, 0, &c);
	assert_true(c.tmpfs);
	buildfs_decide("on", true, 0, 1 * GiB, 16 * GiB, 0, &c);
	assert_true(c.tmpfs);
	assert_int_equal(c.limit, 8 * GiB);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_auto_fits),
		cmocka_unit_test(test_auto_too_big),
		cmocka_unit_test(test_no_disk_line_off_not_root_on),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
