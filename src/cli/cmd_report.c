/* lfsbuild report: write timings, a Chrome trace and an SVG timeline of the build */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/commands.h"
#include "watch/runinfo.h"
#include "watch/summary.h"
#include "watch/timeline.h"
#include "watch/trace.h"
#include "engine/testsum.h"

/* Write what `fn` prints to `path` atomically. */
static int write_with(const char *path, struct run_info *ri, double end, int (*fn)(struct run_info *, double, FILE *))
{
	char *data = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&data, &len);
	if (!f)
		return errorf("cannot write %s: out of memory", path);
	int r = fn(ri, end, f);
	if (fclose(f) != 0)
		r = -1;
	if (r == 0 && write_file_atomic(path, data, len, 0644) < 0)
		r = errorf("cannot write %s:", path);
	free(data);
	return r;
}

static int run(struct config *cfg, int argc, char **argv)
{
	(void)argv;
	if (argc > 0)
		return cli_usage_error(&cmd_report, "report takes no operands");
	struct run_info ri;
	char err[1024];
	if (run_info_load(cfg->workdir, &ri, err, sizeof err) < 0) {
		errorf("%s", err);
		char *w = shell_word(cfg->workdir);
		fprintf(stderr, "lfsbuild: nothing to report; start a build with: lfsbuild -C %s build\n", w);
		free(w);
		return EXIT_FAIL;
	}
	bool live = run_is_live(&ri);
	/* Steps still running: their bars end now, or when a build that died last wrote. */
	double end = live ? now_wall() : ri.updated;
	char *logs = config_path(cfg, "logs");
	char *trace = path_join(logs, "trace.json"), *svg = path_join(logs, "timeline.svg");
	char *tsv = path_join(logs, "timings.tsv");
	int rc = EXIT_OK;
	if (mkdir_p(logs, 0755) < 0)
		rc = errorf("cannot create %s:", logs);
	if (rc == EXIT_OK && (write_with(trace, &ri, end, run_write_trace) < 0 || write_with(svg, &ri, end, run_write_svg) < 0))
		rc = EXIT_FAIL;
	if (rc == EXIT_OK) {
		printf("build report of %s%s\n\n", cfg->workdir, live ? " (the build is still running)" : "");
		run_write_summary(&ri, end, stdout);
		printf("\nfiles:\n");
		if (path_exists(tsv))
			printf("  %s   one line per finished step, all runs (appended by the builds)\n", tsv);
		printf("  %s    Chrome trace: open it in Perfetto or chrome://tracing\n", trace);
		printf("  %s  timeline, one lane per job slot: open it in a browser\n", svg);
		/* the test suites of the last `build --tests` (testsum.h) */
		char *tests = testsum_summary_path(cfg->workdir), *text = read_file(tests, NULL);
		if (text)
			printf("\ntest suites (%s):\n%s", tests, text);
		free(text);
		free(tests);
	}
	free(logs);
	free(trace);
	free(svg);
	free(tsv);
	run_info_free(&ri);
	return rc;
}

const struct command cmd_report = {
	"report", "write timings, a Chrome trace and an SVG timeline of the build", "",
	"Reads WORKDIR/state/run.json and the stamps (so steps that were up to date in the last run\n"
	"are covered too; without run.json, the stamps and logs/timings.tsv) and writes\n"
	"logs/trace.json (Chrome trace format: opens in Perfetto, one track per job slot) and\n"
	"logs/timeline.svg (one lane per job slot, stage colours, a time axis; long idle gaps between\n"
	"runs are shortened), then prints a summary: wall time, CPU time, CPU utilisation\n"
	"(CPU / (wall x jobs)), the 10 longest steps and per-stage totals. logs/timings.tsv, appended\n"
	"by every build, is left as it is. With logs/tests/summary.txt (written by `build --tests`),\n"
	"the test suites' results follow. Can run while a build runs. See docs/watching.md.",
	run,
};
