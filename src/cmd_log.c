/* lfsbuild log: print the log of a step */
#include "commands.h"

static int run(struct config *cfg, int argc, char **argv)
{
	(void)cfg;
	(void)argc;
	(void)argv;
	return cli_not_implemented("log");
}

const struct command cmd_log = {
	"log", "print the log of a step", "STEP",
	"Prints WORKDIR/logs/STEP.log; -f follows it as it grows.",
	run,
};
