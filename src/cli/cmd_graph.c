/* lfsbuild graph: print the steps in execution order with their dependencies */
#include <stdio.h>

#include "cli/commands.h"
#include "engine/graph.h"
#include "book/manifest.h"
#include "book/layer.h"
#include "book/recipe.h"

static int run(struct config *cfg, int argc, char **argv)
{
	if (argc > 0)
		return cli_usage_error(&cmd_graph, "unexpected operand '%s'", argv[0]);
	struct recipe_set set;
	struct manifest m;
	if (book_open(cfg->bookdir, &cfg->layers, &set, &m) < 0)
		return EXIT_FAIL;
	struct graph g;
	int rc = EXIT_FAIL;
	if (graph_build(&set, &g) == 0) {
		graph_print(&g, stdout, cfg->dot);
		graph_free(&g);
		rc = fflush(stdout) == 0 ? EXIT_OK : EXIT_FAIL;
	}
	manifest_free(&m);
	recipe_set_free(&set);
	return rc;
}

const struct command cmd_graph = {
	"graph", "print the steps in execution order with their dependencies", "",
	"One line per step, STEP<TAB>dep,dep,... in a valid execution order: the direct dependencies\n"
	"that matter (the transitive reduction of the `after` lines, the stage barriers and the\n"
	"exclusive steps). --dot prints Graphviz. A cycle is an error that prints the cycle.",
	run,
};
