/* lfsbuild restore: put back the snapshot of the root taken at the end of STAGE */
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>

#include "cli/commands.h"
#include "book/manifest.h"
#include "book/layer.h"
#include "book/recipe.h"
#include "state/state.h"
#include "engine/snapshot.h"

static int run(struct config *cfg, int argc, char **argv)
{
	if (argc != 1)
		return cli_usage_error(&cmd_restore, "which stage? (e.g. temp)");
	struct recipe_set set;
	struct manifest m;
	if (book_open(cfg->bookdir, &cfg->layers, &set, &m) < 0)
		return EXIT_FAIL;
	int rc = EXIT_FAIL;
	int st = recipe_set_stage(&set, argv[0]);
	char *file = NULL, *lockpath = config_path(cfg, "state/lock");
	int lock = -1;
	if (st < 0) {
		rc = cli_usage_error(&cmd_restore, "'%s' is no stage of %s/stages", argv[0], set.dir);
		goto out;
	}
	char *rel = xasprintf("snapshots/%s.tar.zst", argv[0]);
	file = config_path(cfg, rel);
	free(rel);
	if (!path_exists(file)) {
		errorf("no snapshot %s: snapshots are taken by `lfsbuild build --snapshots` at the end of each stage", file);
		goto out;
	}
	/* A root made by steps run on the host (user, host-root) holds its own path: the cross
	 * toolchain's sysroot is $LFS, libtool's .la files and scripts name it. Restored at another
	 * path, the steps on the host after STAGE would fail far from the cause (binutils-pass2: `ld:
	 * cannot find /usr/lib/libc.so.6`); steps in the chroot see the root as / and do not mind. */
	char *origin = snapshot_origin(file), *here = config_path(cfg, "root");
	bool made_on_host = false, later_on_host = false;
	const char *later = NULL;
	for (size_t i = 0; i < set.nsteps; i++) {
		if (set.steps[i].mode == MODE_CHROOT)
			continue;
		if (set.steps[i].stage <= (size_t)st)
			made_on_host = true;
		else if (!later_on_host) {
			later_on_host = true;
			later = set.steps[i].id;
		}
	}
	bool moved = origin && strcmp(origin, here) != 0;
	if (moved && made_on_host && later_on_host) {
		errorf("restore: %s was taken with the root at %s, and this work directory's root is %s: the "
		       "steps run on the host before it wrote that path into what they built (the cross "
		       "toolchain's sysroot), so %s and the steps after it would fail here. Restore it in a "
		       "work directory at the same place (move it back, or bind-mount it there), or "
		       "restore a later stage whose steps all run in the chroot; nothing was changed",
		       file, origin, here, later);
		free(origin);
		free(here);
		goto out;
	}
	if (moved && !cfg->quiet)
		printf("(the snapshot was taken with the root at %s: %s, so the root's place does not matter)\n", origin,
		       made_on_host ? "the steps after it run in the chroot" : "no step before it ran on the host");
	free(origin);
	free(here);
	mkdir_p(cfg->workdir, 0755);
	char *sdir = config_path(cfg, "state");
	mkdir_p(sdir, 0755);
	free(sdir);
	lock = state_lock_take(cfg->workdir, "restore", "nothing was restored");
	if (lock < 0)
		goto out;
	/* The later stages' stamps go first: if we are stopped half-way, they rerun anyway. */
	char *note = xasprintf("root restored to the end of stage %s", argv[0]);
	size_t n = 0;
	for (size_t i = 0; i < set.nsteps; i++)
		if (set.steps[i].stage > (size_t)st) {
			if (stamp_invalidate(cfg->workdir, set.steps[i].id, note) < 0)
				warnx("cannot invalidate the stamp of %s:", set.steps[i].id);
			n++;
		}
	free(note);
	char *root = config_path(cfg, "root");
	char err[1024];
	if (!cfg->quiet)
		printf("restoring %s from %s ...\n", root, file);
	if (snapshot_restore(file, root, err, sizeof err) < 0) {
		errorf("restore failed: %s; the root is incomplete: run `lfsbuild restore %s` again", err, argv[0]);
		free(root);
		goto out;
	}
	if (!cfg->quiet) {
		char *w = shell_word(cfg->workdir);
		printf("%s is as at the end of stage %s; the %zu steps of the later stages will run again "
		       "(lfsbuild -C %s build)\n", root, argv[0], n, w);
		free(w);
	}
	free(root);
	rc = EXIT_OK;
out:
	if (lock >= 0)
		close(lock);
	free(lockpath);
	free(file);
	manifest_free(&m);
	recipe_set_free(&set);
	return rc;
}

const struct command cmd_restore = {
	"restore", "put back the snapshot of the root taken at the end of STAGE", "STAGE",
	"Needs a build made with --snapshots (WORKDIR/snapshots/STAGE.tar.zst). The root is emptied and\n"
	"extracted again with owners, modes, devices, xattrs and ACLs; the steps of the stages after\n"
	"STAGE are marked to run again. A snapshot of the stages run on the host (4 to 6) holds the\n"
	"root's path and is refused in a work directory at another place when steps on the host follow.",
	run,
};
