/* lfsbuild build: build the system, resuming from the state */
#include <stdio.h>

#include "cli/commands.h"
#include "cli/sysopts.h"
#include "watch/progress.h"
#include "watch/progress_tty.h"
#include "engine/sched.h"

static int run(struct config *cfg, int argc, char **argv)
{
	if (cfg->only && argc > 0)
		return cli_usage_error(&cmd_build, "--only STEP takes no other step operands");
	int bad = sysopts_prepare(cfg);
	if (bad)
		return bad;
	struct progress pg;
	/* a status area on a terminal; plain lines otherwise, and with -v (the steps' own lines) */
	if (cfg->verbose)
		progress_plain_init(&pg, stdout, cfg->quiet, cfg->verbose);
	else
		progress_auto_init(&pg, stdout, cfg);
	int rc = sched_build(cfg, argc, argv, &pg);
	progress_end(&pg);
	return rc;
}

const struct command cmd_build = {
	"build", "build the system, resuming from the state", "[STEP|STAGE|chN...]",
	"Runs the steps of the book in dependency order within -j job slots (shared with the makes\n"
	"inside the steps through a GNU make jobserver), skipping those whose stamp is up to date, and\n"
	"says why any other step runs again. Operands limit the build to those steps and what they\n"
	"need. On a failure nothing new starts (with -k: what does not depend on it goes on); the\n"
	"failing step's log tail and the command that resumes are printed. Interrupted or killed, the\n"
	"next `lfsbuild build` resumes at the first unfinished step. The settings of the new system\n"
	"(--hostname, --locales, --timezone, --keymap, --lang, --kernel-config) are checked before\n"
	"anything starts and kept in WORKDIR/state/settings: a later build without them keeps them, a\n"
	"new value replaces the kept one and reruns the steps that read it. See docs/engine.md.",
	run,
};
