/* lfsbuild status: show the state of the build, also while another lfsbuild runs */
#include "commands.h"

static int run(struct config *cfg, int argc, char **argv)
{
	(void)cfg;
	(void)argc;
	(void)argv;
	return cli_not_implemented("status");
}

const struct command cmd_status = {
	"status", "show the state of the build, also while another lfsbuild runs", "",
	"Steps done/total, running steps, failures and the ETA, read from WORKDIR/state.",
	run,
};
