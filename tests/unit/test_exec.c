/* Unit tests of exec: output capture, exit statuses, the command line, and that a tool never
 * outlives a SIGKILLed lfsbuild. */
#include "unit.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "lib/exec.h"

static void test_capture_and_status(void **state)
{
	(void)state;
	struct buf out = {0};
	char *ok[] = {"sh", "-c", "echo out; echo err >&2; exit 3", NULL};
	assert_int_equal(exec_tool(ok, &out, NULL), 3);
	assert_non_null(strstr(out.data, "out\n"));
	assert_non_null(strstr(out.data, "err\n"));
	buf_free(&out);
	char *missing[] = {"lfsbuild-no-such-tool", NULL};
	assert_int_equal(exec_tool(missing, NULL, NULL), -1);
	assert_int_equal(errno, ENOENT);
	char *sig[] = {"sh", "-c", "kill -TERM $$", NULL};
	assert_int_equal(exec_tool(sig, NULL, NULL), 128 + SIGTERM);
}

static void test_cmdline(void **state)
{
	(void)state;
	char *argv[] = {"mke2fs", "-d", "/a dir", "it's", NULL};
	char *s = exec_cmdline(argv);
	assert_string_equal(s, "mke2fs -d '/a dir' 'it'\\''s'");
	free(s);
}

/* A process that spawned a tool is SIGKILLed: the tool dies with it. */
static void test_tool_dies_with_parent(void **state)
{
	(void)state;
	int p[2];
	assert_int_equal(pipe(p), 0);
	pid_t mid = fork();
	assert_true(mid >= 0);
	if (mid == 0) {
		pid_t tool;
		char *argv[] = {"sleep", "30", NULL};
		if (exec_spawn(&tool, argv, EXEC_NULL, EXEC_NULL, EXEC_NULL) != 0)
			_exit(1);
		if (write(p[1], &tool, sizeof tool) != sizeof tool)
			_exit(1);
		pause();
		_exit(0);
	}
	close(p[1]);
	pid_t tool = 0;
	assert_int_equal(read(p[0], &tool, sizeof tool), sizeof tool);
	assert_int_equal(kill(tool, 0), 0);
	kill(mid, SIGKILL);
	waitpid(mid, NULL, 0);
	int alive = 1;
	for (int i = 0; i < 200 && alive; i++) {
		/* The tool is re-parented and reaped by init (or a subreaper); poll until it is gone. */
		char path[64];
		snprintf(path, sizeof path, "/proc/%d/stat", (int)tool);
		char *st = read_file(path, NULL);
		alive = st && !strstr(st, ") Z ");
		free(st);
		if (alive)
			usleep(10000);
	}
	assert_false(alive);
	close(p[0]);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_capture_and_status),
		cmocka_unit_test(test_cmdline),
		cmocka_unit_test(test_tool_dies_with_parent),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
