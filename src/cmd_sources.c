/* lfsbuild sources: list every source of the book with its origin and cache state */
#include "commands.h"

static int run(struct config *cfg, int argc, char **argv)
{
	(void)cfg;
	(void)argc;
	(void)argv;
	return cli_not_implemented("sources");
}

const struct command cmd_sources = {
	"sources", "list every source of the book with its origin and cache state", "",
	"One line per source: name, version, file, the origin it would come from, cached or not, verified or not.",
	run,
};
