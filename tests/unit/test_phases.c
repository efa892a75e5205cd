/* Unit tests of phases: the per-phase wall and CPU from a script's marks (engine/phases.c). */
#include "unit.h"

#include <string.h>

#include "engine/phases.h"

#define NEAR(a, b) assert_true((a) > (b) - 1e-6 && (a) < (b) + 1e-6)

#define MARK(name, at, self, kids) "lfsbuild-phase " name " " at "\n" self "\n" kids "\n"

static void parse(const char *text, double start, double wall, double cpu, struct phases *ph)
{
	memset(ph, 0, sizeof *ph);
	phases_from_marks(text, strlen(text), start, wall, cpu, ph);
}

static void test_three_sections(void **state)
{
	(void)state;
	struct phases ph;
	parse(MARK("build", "1000.5", "0m0.010s 0m0.000s", "0m0.000s 0m0.000s")
	      MARK("test", "1002.5", "0m0.020s 0m0.010s", "0m1.470s 0m0.500s")
	      MARK("install", "1012.5", "0m0.030s 0m0.010s", "1m0.960s 0m1.000s"),
	      1000, 15, 65, &ph);
	/* build: from the start (0 s of CPU) to the test mark; test to install; install to the end */
	assert_true(ph.has[PHASE_BUILD] && ph.has[PHASE_TEST] && ph.has[PHASE_INSTALL]);
	assert_false(ph.has[PHASE_UNPACK]);
	NEAR(ph.wall[PHASE_BUILD], 2.5);
	NEAR(ph.cpu[PHASE_BUILD], 2.0);
	NEAR(ph.wall[PHASE_TEST], 10);
	NEAR(ph.cpu[PHASE_TEST], 60.0);
	NEAR(ph.wall[PHASE_INSTALL], 2.5);
	NEAR(ph.cpu[PHASE_INSTALL], 3.0);
	/* they add up to the step's figures */
	NEAR(ph.wall[PHASE_BUILD] + ph.wall[PHASE_TEST] + ph.wall[PHASE_INSTALL], 15);
	NEAR(ph.cpu[PHASE_BUILD] + ph.cpu[PHASE_TEST] + ph.cpu[PHASE_INSTALL], 65);
}

static void test_failed_in_build(void **state)
{
	(void)state;
	struct phases ph;
	parse(MARK("build", "1000,25", "0m0,010s 0m0,000s", "0m0,000s 0m0,000s"), 1000, 4, 3, &ph);
	assert_true(ph.has[PHASE_BUILD]);   /* a decimal comma is read too */
	assert_false(ph.has[PHASE_TEST] || ph.has[PHASE_INSTALL]);
	NEAR(ph.wall[PHASE_BUILD], 4);
	NEAR(ph.cpu[PHASE_BUILD], 3);
}

static void test_rejects_what_a_step_could_write(void **state)
{
	(void)state;
	struct phases ph;
	const char *bad[] = {
		"",
		"garbage\n",
		MARK("build", "1000", "0m0.010s 0m0.000s", "x"),
		MARK("compile", "1000", "0m0.010s 0m0.000s", "0m0.000s 0m0.000s"),
		MARK("unpack", "1000", "0m0.010s 0m0.000s", "0m0.000s 0m0.000s"),
		/* out of order, repeated */
		MARK("test", "1001", "0m0.010s 0m0.000s", "0m0.000s 0m0.000s") MARK("build", "1002", "0m0.010s 0m0.000s", "0m0.000s 0m0.000s"),
		MARK("build", "1001", "0m0.010s 0m0.000s", "0m0.000s 0m0.000s") MARK("build", "1002", "0m0.010s 0m0.000s", "0m0.000s 0m0.000s"),
		/* CPU going backwards, more CPU than the step used, a time after its end */
		MARK("build", "1001", "0m5.000s 0m0.000s", "0m0.000s 0m0.000s") MARK("test", "1002", "0m1.000s 0m0.000s", "0m0.000s 0m0.000s"),
		MARK("build", "1001", "0m0.010s 0m0.000s", "9m0.000s 0m0.000s"),
		MARK("build", "1100", "0m0.010s 0m0.000s", "0m0.000s 0m0.000s"),
		MARK("build", "1001", "-1m0.010s 0m0.000s", "0m0.000s 0m0.000s"),
	};
	for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
		parse(bad[i], 1000, 10, 10, &ph);
		if (phases_any(&ph))
			fail_msg("marks %zu gave phases", i);
	}
	/* unpack, set by the caller, is left as it is */
	memset(&ph, 0, sizeof ph);
	ph.has[PHASE_UNPACK] = true;
	ph.cpu[PHASE_UNPACK] = 1.5;
	phases_from_marks("garbage", 7, 1000, 10, 10, &ph);
	assert_true(ph.has[PHASE_UNPACK]);
	NEAR(ph.cpu[PHASE_UNPACK], 1.5);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_three_sections),
		cmocka_unit_test(test_failed_in_build),
		cmocka_unit_test(test_rejects_what_a_step_could_write),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
