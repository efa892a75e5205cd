/* Unit tests of eta: the remaining time from book SBU, the measured SBU, stages and job slots. */
#include "unit.h"

#include "watch/eta.h"

#define NEAR(a, b) assert_true((a) > (b) - 1e-6 && (a) < (b) + 1e-6)

static void test_spread_over_jobs(void **state)
{
	(void)state;
	struct eta_step s[4] = {{1, ETA_TODO, 0, 0, NULL, 0}, {1, ETA_TODO, 0, 0, NULL, 0},
	                        {1, ETA_TODO, 0, 0, NULL, 0}, {1, ETA_TODO, 0, 0, NULL, 0}};
	/* 4 steps of 100 s on 2 slots: 200 s; on 1 slot 400 s; on 8 slots the longest step, 100 s. */
	NEAR(eta_seconds(s, 4, 100, 2), 200);
	NEAR(eta_seconds(s, 4, 100, 1), 400);
	NEAR(eta_seconds(s, 4, 100, 8), 100);
	NEAR(eta_seconds(s, 4, 100, 0), 400); /* 0 jobs counts as 1 */
}

static void test_longest_step_bounds(void **state)
{
	(void)state;
	struct eta_step s[3] = {{4, ETA_TODO, 0, 0, NULL, 0}, {1, ETA_TODO, 0, 0, NULL, 0}, {1, ETA_TODO, 0, 0, NULL, 0}};
	/* work / jobs = 300, but one step alone takes 400 */
	NEAR(eta_seconds(s, 3, 100, 2), 400);
}

static void test_stages_are_barriers(void **state)
{
	(void)state;
	struct eta_step s[4] = {{1, ETA_TODO, 0, 0, NULL, 0}, {1, ETA_TODO, 0, 0, NULL, 0},
	                        {1, ETA_TODO, 0, 1, NULL, 0}, {1, ETA_TODO, 0, 1, NULL, 0}};
	/* 4 slots would run all 4 at once, but stage 1 waits for stage 0: 100 + 100 */
	NEAR(eta_seconds(s, 4, 100, 4), 200);
}

static void test_running_and_finished(void **state)
{
	(void)state;
	struct eta_step s[3] = {{2, ETA_RUNNING, 50, 0, NULL, 0}, {5, ETA_FINISHED, 0, 0, NULL, 0},
	                        {1, ETA_RUNNING, 500, 0, NULL, 0}};
	NEAR(eta_step_remaining(&s[0], 100), 150);
	NEAR(eta_step_remaining(&s[1], 100), 0);
	NEAR(eta_step_remaining(&s[2], 100), 0); /* over its estimate: not negative */
	NEAR(eta_seconds(s, 3, 100, 1), 150);
}

static void test_default_sbu(void **state)
{
	(void)state;
	struct eta_step s[1] = {{2, ETA_TODO, 0, 0, NULL, 0}};
	NEAR(eta_seconds(s, 1, 0, 1), 2 * ETA_DEFAULT_SBU);
	NEAR(eta_seconds(s, 1, -1, 1), 2 * ETA_DEFAULT_SBU);
}

static void test_critical_path_with_edges(void **state)
{
	(void)state;
	/* a -> b -> c (100 s each) and d alone, 2 slots: the chain (300) beats work / jobs (200). */
	static const size_t da[] = {0}, db[] = {1};
	struct eta_step s[4] = {{1, ETA_TODO, 0, 0, NULL, 0}, {1, ETA_TODO, 0, 0, da, 1}, {1, ETA_TODO, 0, 0, db, 1},
	                        {1, ETA_TODO, 0, 0, NULL, 0}};
	NEAR(eta_seconds(s, 4, 100, 2), 300);
	/* without the edges the same steps look parallel: 200 */
	s[1].ndeps = s[2].ndeps = 0;
	NEAR(eta_seconds(s, 4, 100, 2), 200);
	/* a finished: the chain is b -> c */
	s[1].ndeps = s[2].ndeps = 1;
	s[0].state = ETA_FINISHED;
	NEAR(eta_seconds(s, 4, 100, 2), 200);
}

static void test_empty(void **state)
{
	(void)state;
	NEAR(eta_seconds(NULL, 0, 100, 2), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_spread_over_jobs),
		cmocka_unit_test(test_longest_step_bounds),
		cmocka_unit_test(test_stages_are_barriers),
		cmocka_unit_test(test_running_and_finished),
		cmocka_unit_test(test_default_sbu),
		cmocka_unit_test(test_critical_path_with_edges),
		cmocka_unit_test(test_empty),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
