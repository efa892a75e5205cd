/* Unit tests of pressure: the readings of /proc/stat and /proc/pressure/cpu, and the rule of
 * `build --overcommit` over them (a window, then room or not), on files the test writes. */
#include "unit.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "engine/pressure.h"

static char dir[] = "/tmp/lfsbuild-pressure.XXXXXX";
static char stat_file[64], psi_file[64];

static void put(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

/* /proc/stat of a 2-CPU machine with these totals (user = all - idle) */
static void put_stat(unsigned long long idle, unsigned long long all)
{
	char text[256];
	snprintf(text, sizeof text, "cpu  %llu 0 0 %llu 0 0 0 0 0 0\ncpu0 1 0 0 1\ncpu1 1 0 0 1\nintr 5\n", all - idle, idle);
	put(stat_file, text);
}

static int setup(void **state)
{
	(void)state;
	if (!mkdtemp(dir))
		return -1;
	snprintf(stat_file, sizeof stat_file, "%s/stat", dir);
	snprintf(psi_file, sizeof psi_file, "%s/psi", dir);
	setenv("LFSBUILD_PROC_STAT", stat_file, 1);
	setenv("LFSBUILD_PROC_PRESSURE_CPU", psi_file, 1);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	unlink(stat_file);
	unlink(psi_file);
	rmdir(dir);
	return 0;
}

static void test_read(void **state)
{
	(void)state;
	unsigned long long idle = 0, all = 0;
	int n = 0;
	/* idle and iowait are idle; irq, softirq and steal count in all; guest (in user) does not */
	put(stat_file, "cpu  10 1 2 30 4 5 6 7 100 100\ncpu0 1\ncpu1 1\ncpu2 1\nctxt 9\n");
	assert_int_equal(pressure_read_stat(stat_file, &idle, &all, &n), 0);
	assert_true(idle == 34 && all == 65);
	assert_int_equal(n, 3);
	put(stat_file, "intr 5\n");
	assert_int_equal(pressure_read_stat(stat_file, &idle, &all, &n), -1);
	assert_int_equal(pressure_read_stat("/nonexistent/stat", &idle, &all, &n), -1);
	double some = -1;
	put(psi_file, "some avg10=12.34 avg60=1.00 avg300=0.50 total=123\nfull avg10=0.00 avg60=0.00 avg300=0.00 total=0\n");
	assert_int_equal(pressure_read_psi(psi_file, &some), 0);
	assert_true(some > 12.33 && some < 12.35);
	put(psi_file, "full avg10=3.00\n");
	assert_int_equal(pressure_read_psi(psi_file, &some), -1);
	assert_int_equal(pressure_read_psi("/nonexistent/psi", &some), -1);
	/* this machine's own /proc/stat reads (the kernel's format); its PSI, where the kernel has it
	 * on (booted with psi=0, the file is there but reading it fails) */
	assert_int_equal(pressure_read_stat("/proc/stat", &idle, &all, &n), 0);
	assert_true(n >= 1 && all > 0 && idle <= all);
	if (pressure_read_psi("/proc/pressure/cpu", &some) == 0)
		assert_true(some >= 0 && some <= 100);
}

static void test_rule(void **state)
{
	(void)state;
	struct pressure p;
	char why[160];
	pressure_init(&p);
	put(psi_file, "some avg10=0.50 avg60=0 avg300=0 total=1\n");
	put_stat(0, 0);
	/* the first sample opens a window: no room until it is complete */
	assert_false(pressure_room(&p, 100.0, why, sizeof why));
	put_stat(150, 200);   /* 1.5 of 2 cores idle */
	assert_false(pressure_room(&p, 100.0 + PRESSURE_WINDOW / 2, why, sizeof why));
	assert_true(pressure_room(&p, 100.0 + PRESSURE_WINDOW, why, sizeof why));
	assert_string_equal(why, "1.5 cores idle, CPU pressure 0.5 %");
	/* within the next window the same readings stand */
	assert_true(pressure_room(&p, 100.0 + PRESSURE_WINDOW + 1, why, sizeof why));
	/* contended: PSI above the line */
	put(psi_file, "some avg10=25.00 avg60=0 avg300=0 total=1\n");
	put_stat(300, 400);
	assert_false(pressure_room(&p, 100.0 + 2 * PRESSURE_WINDOW, why, sizeof why));
	assert_string_equal(why, "1.5 cores idle, CPU pressure 25.0 %");
	/* busy: 0.2 cores idle, no contention */
	put(psi_file, "some avg10=0.00 avg60=0 avg300=0 total=1\n");
	put_stat(320, 600);
	assert_false(pressure_room(&p, 100.0 + 3 * PRESSURE_WINDOW, why, sizeof why));
	assert_string_equal(why, "0.2 cores idle, CPU pressure 0.0 %");
	/* exactly one core idle reads "1.0 core" */
	put_stat(420, 800);
	assert_true(pressure_room(&p, 100.0 + 4 * PRESSURE_WINDOW, why, sizeof why));
	assert_string_equal(why, "1.0 core idle, CPU pressure 0.0 %");
	/* counters that go back (another file): a new window, no room meanwhile */
	put_stat(10, 20);
	assert_false(pressure_room(&p, 100.0 + 5 * PRESSURE_WINDOW, why, sizeof why));
	put_stat(160, 220);
	assert_true(pressure_room(&p, 100.0 + 6 * PRESSURE_WINDOW, why, sizeof why));
	/* a kernel without PSI: never room, and said */
	unlink(psi_file);
	put_stat(310, 420);
	assert_false(pressure_room(&p, 100.0 + 7 * PRESSURE_WINDOW, why, sizeof why));
	assert_non_null(strstr(why, "(a kernel without PSI)"));
	assert_false(pressure_room(&p, 100.0 + 7 * PRESSURE_WINDOW + 1, why, sizeof why));
	/* no /proc/stat: said */
	unlink(stat_file);
	assert_false(pressure_room(&p, 100.0 + 8 * PRESSURE_WINDOW, why, sizeof why));
	assert_non_null(strstr(why, "cannot read"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_read),
		cmocka_unit_test(test_rule),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
