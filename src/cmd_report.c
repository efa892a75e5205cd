/* lfsbuild report: write timings, a Chrome trace and an SVG timeline of the build */
#include "commands.h"

static int run(struct config *cfg, int argc, char **argv)
{
	(void)cfg;
	(void)argc;
	(void)argv;
	return cli_not_implemented("report");
}

const struct command cmd_report = {
	"report", "write timings, a Chrome trace and an SVG timeline of the build", "",
	"Writes logs/timings.tsv, logs/trace.json (opens in Perfetto) and logs/timeline.svg.",
	run,
};
