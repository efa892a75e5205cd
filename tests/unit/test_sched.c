/* Unit tests of sched: the resume command a failure or an interruption prints. */
#include "unit.h"

#include <stdlib.h>
#include <string.h>

#include "config/config.h"
#include "engine/sched.h"

static void test_resume_command(void **state)
{
	(void)state;
	struct config cfg;
	config_init(&cfg);
	cfg.workdir = xstrdup("/w/lfs work");
	cfg.sources = xstrdup("/cache");
	cfg.bookdir = xstrdup("/books/mine");
	cfg.jobs = 3;
	cfg.keep_going = true;
	cfg.tests = true;
	cfg.until = xstrdup("ch8");
	cfg.from = xstrdup("ch8/gcc"); /* not repeated: its stamps were invalidated already */
	char *ops[] = {"ch8/vim"};
	char *s = sched_resume_command(&cfg, 1, ops);
	assert_string_equal(s, "lfsbuild -C '/w/lfs work' --book /books/mine --sources /cache build -j3 -k --tests "
	                       "--until ch8 ch8/vim");
	free(s);
	/* the default sources dir is not repeated */
	free(cfg.sources);
	cfg.sources = xstrdup("/w/lfs work/sources");
	cfg.keep_going = cfg.tests = false;
	free(cfg.until);
	cfg.until = NULL;
	s = sched_resume_command(&cfg, 0, NULL);
	assert_string_equal(s, "lfsbuild -C '/w/lfs work' --book /books/mine build -j3");
	free(s);
	free(cfg.workdir);
	free(cfg.sources);
	free(cfg.bookdir);
	free(cfg.from);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_resume_command),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
