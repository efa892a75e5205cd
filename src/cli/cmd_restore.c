/* lfsbuild restore: put back the snapshot of the root taken at the end of STAGE */
#include <fcntl.h>
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
	"STAGE are marked to run again.",
	run,
};
