/* lfsbuild clean: remove build directories and logs (--all: everything but the config) */
#include "commands.h"

static int run(struct config *cfg, int argc, char **argv)
{
	(void)cfg;
	(void)argc;
	(void)argv;
	return cli_not_implemented("clean");
}

const struct command cmd_clean = {
	"clean", "remove build directories and logs (--all: everything but the config)", "",
	"Never touches anything outside the work directory.",
	run,
};
