/* lfsbuild: build Linux From Scratch 12.3 (systemd) into a bootable QEMU disk image. */
#include "cli/cli.h"

int main(int argc, char **argv)
{
	return cli_main(argc, argv);
}
