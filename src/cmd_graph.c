/* lfsbuild graph: print the steps in execution order with their dependencies */
#include "commands.h"

static int run(struct config *cfg, int argc, char **argv)
{
	(void)cfg;
	(void)argc;
	(void)argv;
	return cli_not_implemented("graph");
}

const struct command cmd_graph = {
	"graph", "print the steps in execution order with their dependencies", "",
	"One line per step, STEP<TAB>dep,dep,... in a valid execution order. --dot prints Graphviz.",
	run,
};
