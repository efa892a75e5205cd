/* lfsbuild check-host: check the host's tools against the book's requirements and ours */
#include "commands.h"

static int run(struct config *cfg, int argc, char **argv)
{
	(void)cfg;
	(void)argc;
	(void)argv;
	return cli_not_implemented("check-host");
}

const struct command cmd_check_host = {
	"check-host", "check the host's tools against the book's requirements and ours", "",
	"Prints a table: requirement, version found, ok or missing; then one apt-get line for what is missing. Exit 0 only when all is present.",
	run,
};
