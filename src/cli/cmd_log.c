/* lfsbuild log: print the log of a step */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/commands.h"
#include "engine/run.h"
#include "watch/runinfo.h"

/* Is `id` running now according to state/run.json (and is its lfsbuild alive)? */
static bool still_running(const struct config *cfg, const char *id)
{
	char *path = config_path(cfg, "state/run.json");
	char *text = read_file(path, NULL);
	free(path);
	if (!text)
		return false;
	struct run_info ri;
	bool running = false;
	if (run_info_parse(text, &ri, NULL, 0) == 0) {
		ssize_t k = run_info_find(&ri, id);
		running = k >= 0 && ri.steps[k].status == ST_RUNNING && ri.pid > 0 && kill((pid_t)ri.pid, 0) == 0;
		run_info_free(&ri);
	}
	free(text);
	return running;
}

static int run(struct config *cfg, int argc, char **argv)
{
	if (argc != 1)
		return cli_usage_error(&cmd_log, argc ? "one STEP only" : "which step? (e.g. ch5/binutils-pass1)");
	const char *id = argv[0];
	if (strstr(id, "..") || id[0] == '/')
		return cli_usage_error(&cmd_log, "'%s' is not a step id", id);
	char *path = runner_log_path(cfg, id);
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		errorf("no log for %s: %s: %s (has the step run? `lfsbuild status` tells)", id, path, strerror(errno));
		free(path);
		return EXIT_FAIL;
	}
	char buf[65536];
	int idle = 0;
	for (;;) {
		ssize_t n = read(fd, buf, sizeof buf);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			errorf("%s:", path);
			break;
		}
		if (n > 0) {
			fwrite(buf, 1, (size_t)n, stdout);
			idle = 0;
			continue;
		}
		if (!cfg->follow)
			break;
		fflush(stdout);
		/* -f: keep reading while the step runs; stop a moment after it ended. */
		if (++idle % 10 == 0 && !still_running(cfg, id))
			break;
		usleep(200000);
	}
	close(fd);
	free(path);
	return fflush(stdout) == 0 ? EXIT_OK : EXIT_FAIL;
}

const struct command cmd_log = {
	"log", "print the log of a step", "STEP",
	"Prints WORKDIR/logs/STEP.log (e.g. logs/ch5/binutils-pass1.log); -f follows it as it grows\n"
	"while the step runs.",
	run,
};
