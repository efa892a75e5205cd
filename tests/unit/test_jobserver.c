/* Unit tests of jobserver: the token count, reset after lost tokens, MAKEFLAGS. */
#include "unit.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "engine/jobserver.h"
#include "lib/util.h"

static void test_tokens(void **state)
{
	(void)state;
	struct jobserver js;
	assert_int_equal(jobserver_open(&js, 3), 0);
	assert_true(js.rfd >= 10 && js.wfd >= 10);
	assert_true(fcntl(js.rfd, F_GETFD) & FD_CLOEXEC);
	assert_true(jobserver_take(&js));
	assert_true(jobserver_take(&js));
	assert_true(jobserver_take(&js));
	assert_false(jobserver_take(&js));
	assert_int_equal(js.held, 3);
	jobserver_give(&js);
	assert_true(jobserver_take(&js));
	assert_false(jobserver_take(&js));
	/* a make took a token and died with it: reset brings the pipe back to 3 */
	jobserver_give(&js);
	char c;
	assert_int_equal(read(js.rfd, &c, 1), 1);
	jobserver_reset(&js);
	assert_int_equal(js.held, 0);
	int n = 0;
	while (jobserver_take(&js))
		n++;
	assert_int_equal(n, 3);
	char *mf = jobserver_makeflags(&js);
	char want[64];
	snprintf(want, sizeof want, "-j3 --jobserver-auth=%d,%d", js.rfd, js.wfd);
	assert_string_equal(mf, want);
	free(mf);
	jobserver_close(&js);
}

/* GNU make, given the jobserver, runs at most N jobs at once. */
static void test_with_make(void **state)
{
	(void)state;
	if (system("command -v make >/dev/null 2>&1 && command -v flock >/dev/null 2>&1") != 0) {
		skip();
	}
	char dir[] = "/tmp/lfsbuild-unit-js.XXXXXX";
	assert_non_null(mkdtemp(dir));
	struct jobserver js;
	assert_int_equal(jobserver_open(&js, 2), 0);
	assert_true(jobserver_take(&js)); /* the slot of the make we start */
	char *mf = jobserver_makeflags(&js);
	/* make sees the fds: clear close-on-exec as the sandbox does for keep_fds */
	fcntl(js.rfd, F_SETFD, 0);
	fcntl(js.wfd, F_SETFD, 0);
	const char *mk =
		"all: a b c d e f\n\t@true\n"
		"%:\n"
		"\t@flock L sh -c 'n=$$(cat c 2>/dev/null || echo 0); n=$$((n+1)); echo $$n > c; "
		"m=$$(cat m 2>/dev/null || echo 0); if [ $$n -gt $$m ]; then echo $$n > m; fi'\n"
		"\t@sleep 0.2\n"
		"\t@flock L sh -c 'n=$$(cat c); echo $$((n-1)) > c'\n";
	char *mkfile = path_join(dir, "Makefile");
	assert_int_equal(write_file_atomic(mkfile, mk, strlen(mk), 0644), 0);
	free(mkfile);
	char *cmd = xasprintf("cd %s && MAKEFLAGS='%s' make -s all", dir, mf);
	assert_int_equal(system(cmd), 0);
	free(cmd);
	char *m = path_join(dir, "m");
	char *t = read_file(m, NULL);
	assert_non_null(t);
	assert_int_equal(atoi(t), 2);
	free(t);
	free(m);
	free(mf);
	jobserver_close(&js);
	remove_tree(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_tokens),
		cmocka_unit_test(test_with_make),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
