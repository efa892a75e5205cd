/* lfsbuild image: assemble the bootable qcow2 disk from the built root */
#include "commands.h"

static int run(struct config *cfg, int argc, char **argv)
{
	(void)cfg;
	(void)argc;
	(void)argv;
	return cli_not_implemented("image");
}

const struct command cmd_image = {
	"image", "assemble the bootable qcow2 disk from the built root", "",
	"A GPT disk: partition 1 the EFI system partition (FAT32, 1 MiB to 301 MiB), partition 2 ext4 root over the rest; no loop device, no mount.",
	run,
};
