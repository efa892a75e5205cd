/* lfsbuild boot: boot the image in QEMU with UEFI firmware */
#include <stdio.h>
#include <stdlib.h>

#include "cli/commands.h"
#include "disk/qemu.h"
#include "lib/util.h"

static int run(struct config *cfg, int argc, char **argv)
{
	if (argc > 1)
		return cli_usage_error(&cmd_boot, "one image at most, not %d", argc);
	char *image = path_abs(argc ? argv[0] : cfg->output);
	if (!path_exists(image)) {
		errorf("%s: no such image (make it with: lfsbuild image)", image);
		free(image);
		return EXIT_FAIL;
	}
	char *scratch = config_path(cfg, "tmp");
	struct qemu_opts o = {
		.image = image, .scratch = scratch, .memory = cfg->memory, .cpus = cfg->cpus, .cpu = cfg->cpu, .net = cfg->net, .gui = cfg->gui,
	};
	int rc = qemu_interactive(&o);
	free(scratch);
	free(image);
	if (rc < 0)
		return EXIT_FAIL;
	if (rc != 0) {
		fprintf(stderr, "lfsbuild: boot: QEMU exited with status %d\n", rc);
		return EXIT_FAIL;
	}
	return EXIT_OK;
}

const struct command cmd_boot = {
	"boot", "boot the image in QEMU with UEFI firmware", "[IMAGE]",
	"Boots IMAGE (default WORKDIR/lfs.qcow2) in QEMU with OVMF, the disk as virtio, KVM when it works here "
	"(tried, not assumed) and software emulation otherwise, no network unless --net. The serial console is on "
	"this terminal; leave with Ctrl-A X. Each boot uses its own copy of the firmware's variable store "
	"(in WORKDIR/tmp, removed afterwards).",
	run,
};
