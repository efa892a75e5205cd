/* lfsbuild remove STEP: a captured step's files out of the root (engine/remove), under the lock. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/commands.h"
#include "book/layer.h"
#include "book/manifest.h"
#include "book/recipe.h"
#include "engine/capture.h"
#include "engine/remove.h"
#include "state/state.h"

static int run(struct config *cfg, int argc, char **argv)
{
	if (argc != 1)
		return cli_usage_error(&cmd_remove, argc ? "one STEP only" : "which step? (e.g. ch8/zlib)");
	struct recipe_set set;
	struct manifest m;
	if (book_open(cfg->bookdir, &cfg->layers, &set, &m) < 0)
		return EXIT_FAIL;
	const char *id = argv[0];
	char *root = config_path(cfg, "root");
	int rc = EXIT_FAIL, lock = -1;
	if (recipe_set_find(&set, id) < 0) {
		rc = cli_usage_error(&cmd_remove, "'%s' is no step of the book (see `lfsbuild graph`)", id);
		goto out;
	}
	if (!is_dir(root)) {
		errorf("no root yet: %s does not exist; nothing to remove", root);
		goto out;
	}
	if ((lock = state_lock_take(cfg->workdir, "remove", "nothing was removed")) < 0)
		goto out;
	/* a merge a SIGKILL interrupted is completed first, as a build would (docs/engine.md) */
	if (!cfg->dry_run && capture_recover(cfg->workdir, root, stdout) < 0)
		goto out;
	if (remove_step(cfg->workdir, root, &set, id, cfg->dry_run, stdout) == 0)
		rc = EXIT_OK;
out:
	if (lock >= 0)
		close(lock);
	free(root);
	manifest_free(&m);
	recipe_set_free(&set);
	return rc;
}

const struct command cmd_remove = {
	"remove", "take a captured step's files out of the root", "STEP",
	"Removes from WORKDIR/root what STEP installed, from its file list (it must have been built\n"
	"with --capture on: docs/engine.md, \"Capture\"), and marks it removed in its stamp. A path is\n"
	"kept, and said why, when:\n"
	"  - a later step rewrote it: a file list merged after STEP's names it (merge order: the\n"
	"    lists' modification times, as in `lfsbuild du`);\n"
	"  - it changed since the merge: its type, sha256 or link target is not what STEP's list says\n"
	"    (something not captured changed it, e.g. ch8/stripping, which runs with `capture no`);\n"
	"  - STEP changed it and an earlier step's list has it: kept for that step;\n"
	"  - a directory on its way is no longer one (a symlink planted there is never followed).\n"
	"Directories go only when STEP made them, no other step lists them and they end up empty. What\n"
	"STEP deleted is not brought back. The summary gives each count with the first paths; the full\n"
	"list is in WORKDIR/logs/remove/STEP.log.\n\n"
	"A removed step stays out: `status` lists it, and a plain `build` (or `all`, `--from` an earlier\n"
	"step, a stage or chapter operand) skips it, saying \"removed\". `lfsbuild build STEP` (STEP\n"
	"named as an operand, or --only STEP, --from STEP) builds it again.\n\n"
	"Refused, with nothing changed: while a build or a shell holds WORKDIR/state/lock; for a step\n"
	"without a file list (never built with --capture on), with `capture no`, whose list is older\n"
	"than its last build (built again without capture), or whose last build did not succeed.\n\n"
	"Crash safety: the stamp says `removing` before the first removal and `removed` after the\n"
	"last; each removal is checked against the list and the root before it is made, so a removal\n"
	"cut short (SIGKILL) is completed by `lfsbuild remove STEP` or by the next `lfsbuild build`,\n"
	"before anything else. --dry-run says what would happen and changes nothing (its list goes to\n"
	"WORKDIR/logs/remove/STEP.dry-run.log).",
	run,
};
