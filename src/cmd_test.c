/* lfsbuild test: boot the image headless, log in and run the checks */
#include "commands.h"

static int run(struct config *cfg, int argc, char **argv)
{
	(void)cfg;
	(void)argc;
	(void)argv;
	return cli_not_implemented("test");
}

const struct command cmd_test = {
	"test", "boot the image headless, log in and run the checks", "[IMAGE]",
	"The transcript goes to WORKDIR/logs/boot-test.log; exit 0 only when every check passed.",
	run,
};
