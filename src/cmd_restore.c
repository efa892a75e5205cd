/* lfsbuild restore: put back the snapshot of the root taken at the end of STAGE */
#include "commands.h"

static int run(struct config *cfg, int argc, char **argv)
{
	(void)cfg;
	(void)argc;
	(void)argv;
	return cli_not_implemented("restore");
}

const struct command cmd_restore = {
	"restore", "put back the snapshot of the root taken at the end of STAGE", "STAGE",
	"Needs a build made with --snapshots. The steps after STAGE will run again.",
	run,
};
