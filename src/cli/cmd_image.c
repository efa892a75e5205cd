/* lfsbuild image: assemble the bootable qcow2 disk from the built root */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>

#include "cli/commands.h"
#include "state/state.h"
#include "book/diskids.h"
#include "disk/image.h"
#include "lib/util.h"

/* The work directory's root is imaged only while no build runs there: mke2fs -d walks the tree by
 * path, and a running step could change it under the walk (the SBOM reads it too). */
int cli_lock_root(const struct config *cfg, const char *root, const char *what)
{
	char *own = config_path(cfg, "root"), *lockpath = config_path(cfg, "state/lock");
	int lock = -1;
	if (!strcmp(own, root)) {
		lock = open(lockpath, O_RDONLY | O_CLOEXEC);
		if (lock >= 0 && flock(lock, LOCK_EX | LOCK_NB) < 0) {
			struct lock_holder h;
			state_lock_holder(cfg->workdir, &h);
			if (!strcmp(h.what, "shell"))
				errorf("an lfsbuild shell is open in %s; %s when it has ended", cfg->workdir, what);
			else if (h.what[0] && strcmp(h.what, "build"))
				errorf("an lfsbuild %s is working in %s; %s when it has ended", h.what, cfg->workdir, what);
			else
				errorf("a build is running in %s; %s when the build has ended", cfg->workdir, what);
			close(lock);
			lock = -2;
		}
	}
	free(own);
	free(lockpath);
	return lock;
}

char *cli_sbom_path(const char *image)
{
	size_t n = strlen(image) - (str_ends(image, ".qcow2") ? 6 : 0);
	return xasprintf("%.*s.cdx.json", (int)n, image);
}

/* The SBOM of an image of the work directory's root, beside it (cli_sbom_path). An image of
 * another tree (--root) gets none: the work directory's stamps and lists do not describe it. */
static int image_sbom(const struct config *cfg, const char *root, const char *out)
{
	char *own = config_path(cfg, "root");
	int rc = EXIT_OK;
	if (!strcmp(own, root)) {
		char *path = cli_sbom_path(out);
		rc = cli_write_sbom(cfg, path);
		if (rc != EXIT_OK)
			fprintf(stderr, "lfsbuild: image: the image %s was written, its SBOM was not: `lfsbuild sbom -o %s` writes it "
			        "once the problem above is solved\n", out, path);
		free(path);
	} else if (!cfg->quiet) {
		printf("No SBOM: the image is of %s, not of the work directory's root\n", root);
	}
	free(own);
	return rc;
}

static int run(struct config *cfg, int argc, char **argv)
{
	if (argc > 0)
		return cli_usage_error(&cmd_image, "unexpected operand '%s' (the tree is --root DIR, the image -o FILE)", argv[0]);
	uint64_t size;
	if (image_parse_size(cfg->size, &size) < 0)
		return cli_usage_error(&cmd_image, "--size wants a size such as 50G, 2048M or 1T, not '%s'", cfg->size);
	struct disk_ids ids;
	if (disk_ids_load(cfg, &ids) < 0)
		return EXIT_FAIL;
	char *tmp = config_path(cfg, "tmp"), *logs = config_path(cfg, "logs");
	char *log = path_join(logs, "image.log");
	char *root = path_abs(cfg->image_root), *out = path_abs(cfg->output);
	int rc = EXIT_FAIL, lock = cli_lock_root(cfg, root, "image its root");
	if (lock == -2)
		goto done;
	if (mkdir_p(logs, 0755) < 0) {
		errorf("cannot create %s:", logs);
		goto done;
	}
	FILE *f = fopen(log, "we");
	if (f) {
		fprintf(f, "# lfsbuild image --root %s -o %s --size %s\n", root, out, cfg->size);
		fclose(f);
	}
	setenv("MTOOLS_SKIP_CHECK", "1", 1);
	struct image_opts o = {
		.root = root, .output = out, .tmpdir = tmp, .logpath = log, .size = size, .compress = false, .ids = &ids,
	};
	/* image_build stops the tools' clocks through SOURCE_DATE_EPOCH in our environment: put back
	 * the caller's (the SBOM's time, and what `all` runs next, read it) */
	const char *sde = getenv("SOURCE_DATE_EPOCH");
	char *saved = sde ? xstrdup(sde) : NULL;
	int built = image_build(&o);
	if (saved)
		setenv("SOURCE_DATE_EPOCH", saved, 1);
	else
		unsetenv("SOURCE_DATE_EPOCH");
	free(saved);
	if (built == 0) {
		rc = image_sbom(cfg, root, out);
		char *shown = shell_word(out);
		printf("Boot it: lfsbuild boot%s%s   (test it: lfsbuild test)\n", strcmp(out, cfg->output) ? " " : "",
		       strcmp(out, cfg->output) ? shown : "");
		free(shown);
	} else {
		fprintf(stderr, "lfsbuild: image: nothing was written to %s; the tools' log is %s\n", out, log);
	}
done:
	if (lock >= 0)
		close(lock);
	free(out);
	free(root);
	free(log);
	free(logs);
	free(tmp);
	return rc;
}

const struct command cmd_image = {
	"image", "assemble the bootable qcow2 disk from the built root", "",
	"A GPT disk: partition 1 the EFI system partition (FAT32, 1 MiB to 301 MiB, filled from ROOT/boot/efi), "
	"partition 2 ext4 root over the rest (ROOT with /boot/efi left empty as its mount point); no loop device, "
	"no mount. The disk GUID and PARTUUIDs are kept in WORKDIR/state/disk.conf so that /etc/fstab and grub.cfg "
	"agree with the disk. The tools' command lines and output go to WORKDIR/logs/image.log. The image of the "
	"work directory's root gets its SBOM beside it (lfsbuild help sbom): WORKDIR/lfs.cdx.json for the default -o.",
	run,
};
