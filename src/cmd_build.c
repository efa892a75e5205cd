/* lfsbuild build: build the system, resuming from the state */
#include "commands.h"

static int run(struct config *cfg, int argc, char **argv)
{
	(void)cfg;
	(void)argc;
	(void)argv;
	return cli_not_implemented("build");
}

const struct command cmd_build = {
	"build", "build the system, resuming from the state", "[STEP...]",
	"Runs the steps of the book in dependency order within -j job slots, skipping those whose stamp is up to date, and says why any other step runs again.",
	run,
};
