/* lfsbuild boot: boot the image in QEMU with UEFI firmware */
#include "commands.h"

static int run(struct config *cfg, int argc, char **argv)
{
	(void)cfg;
	(void)argc;
	(void)argv;
	return cli_not_implemented("boot");
}

const struct command cmd_boot = {
	"boot", "boot the image in QEMU with UEFI firmware", "[IMAGE]",
	"The serial console is on this terminal; leave with Ctrl-A X.",
	run,
};
