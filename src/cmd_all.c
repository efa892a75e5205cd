/* lfsbuild all: check-host, fetch, build, image and test: from nothing to a tested disk */
#include "commands.h"

static int run(struct config *cfg, int argc, char **argv)
{
	(void)cfg;
	(void)argc;
	(void)argv;
	return cli_not_implemented("all");
}

const struct command cmd_all = {
	"all", "check-host, fetch, build, image and test: from nothing to a tested disk", "",
	"The one command: at the end it prints where the image is, the root password's file and how to boot it.",
	run,
};
