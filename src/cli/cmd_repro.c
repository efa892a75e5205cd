/* lfsbuild repro STEP...: each step built again on a scratch copy of the root as it was before it,
 * its output compared with its package archive (engine/repro.h; docs/engine.md, "Reproducibility"). */
#include <stdio.h>

#include "cli/commands.h"
#include "cli/sysopts.h"
#include "engine/repro.h"

static int run(struct config *cfg, int argc, char **argv)
{
	if (argc < 1)
		return cli_usage_error(&cmd_repro, "which step? (e.g. ch8/zlib)");
	/* the kept settings of the new system (state/settings), as the build gave them to the steps */
	int bad = sysopts_prepare(cfg);
	if (bad)
		return bad;
	return repro_run(cfg, argc, argv);
}

const struct command cmd_repro = {
	"repro", "build steps again and compare their output with the first build (reproducibility)", "STEP...",
	"For each STEP (built with --capture on, so that it has a package archive): makes a scratch copy of\n"
	"the root as it was before STEP, WORKDIR/repro/STEP (its '/' as '_'), from the package archives of\n"
	"the steps that ran before it, in the order of their merges (a step with `capture no`, such as\n"
	"ch7/changingowner, runs again there instead); builds STEP again there from the same inputs (its\n"
	"recipe, sources, settings, environment and SOURCE_DATE_EPOCH; --tests as it was built) with its\n"
	"writes captured, as `build --capture on` runs it, seeing the same paths; and compares what it\n"
	"wrote with its package archive, entry by entry: type, mode, owner, size and sha256, link target.\n"
	"Prints `STEP: identical`, or `STEP: N files differ` and one line per path with what differs.\n\n"
	"Written: WORKDIR/logs/repro/STEP.log (the rebuild's log), STEP.json (the result, every differing\n"
	"path with both sides), a line per step in summary.tsv (step, result, files differing, when),\n"
	"and, when diffoscope is installed (Debian's package diffoscope), STEP.txt: its report on each\n"
	"file whose content differs, the first build's copy taken from the archive. The work directory's\n"
	"root, stamps and packages are only read; the scratch copy is removed at the end (--keep keeps\n"
	"it), also after SIGINT or SIGTERM; nothing is mounted on the host.\n\n"
	"Refused, with nothing rebuilt: a step without an archive (built without --capture on, or with\n"
	"`capture no`), whose inputs changed since it was built, or one before it that has no archive\n"
	"(named, with the command that builds them again with archives). Holds WORKDIR/state/lock; needs\n"
	"root. Exit status: 0 all identical, 1 one differs, 2 one could not be checked.",
	run,
};
