/* lfsbuild check-host: the host's tools against the book's requirements and ours. */
#include "cli/commands.h"
#include "cli/hostcheck.h"

#include <unistd.h>

static int run(struct config *cfg, int argc, char **argv)
{
	(void)argv;
	if (argc)
		return cli_usage_error(&cmd_check_host, "no operands expected");
	return hostcheck_run(stdout, cfg->color && isatty(1)) ? EXIT_FAIL : EXIT_OK;
}

const struct command cmd_check_host = {
	"check-host", "check the host's tools against the book's requirements and ours", "",
	"Checks the host requirements of the book's chapter 2 (minimum versions, /bin/sh being bash,\n"
	"awk being GNU awk, yacc being Bison, a g++ that compiles and links) and the tools lfsbuild\n"
	"drives: mke2fs with -d, mkfs.vfat, mcopy, qemu-img, qemu-system-x86_64 and the OVMF firmware.\n"
	"Prints a table: requirement, minimum, version found, ok or missing; then one apt-get line\n"
	"for everything missing. Exit 0 only when all is present.",
	run,
};
