/* lfsbuild shell: a shell in the new system, or in one step's sandbox */
#include <stdio.h>
#include <unistd.h>

#include "cli/commands.h"
#include "cli/sysopts.h"
#include "engine/shell.h"

static int run(struct config *cfg, int argc, char **argv)
{
	if (argc > 1)
		return cli_usage_error(&cmd_shell, "one STEP at most ('%s' is one too many)", argv[1]);
	if (geteuid() != 0) {
		errorf("lfsbuild shell needs root: its sandbox (namespaces, mounts, the chroot into %s/root) is made as "
		       "root, as the build's is", cfg->workdir);
		return EXIT_FAIL;
	}
	/* the kept settings of the new system (state/settings), as the build gives them to the steps */
	int bad = sysopts_prepare(cfg);
	if (bad)
		return bad;
	return shell_run(cfg, argc ? argv[0] : NULL);
}

const struct command cmd_shell = {
	"shell", "a shell in the new system, or in one step's build directory and sandbox", "[STEP]",
	"Without STEP: an interactive shell (bash, else sh) in the new system WORKDIR/root as it stands,\n"
	"in the sandbox of the chroot stages (its own mount, pid, uts, ipc and network namespaces; its\n"
	"own /dev, /dev/pts, /proc, /sys, /run; no network), with the environment of the stage system\n"
	"(HOME=/root, TERM from here, PS1 '(lfs chroot) \\u:\\w\\$ ', MAKEFLAGS=-jN), as the book's chroot.\n"
	"\n"
	"With STEP (e.g. ch8/zlib): in that step's build directory WORKDIR/build/<id> (as a failed run\n"
	"left it; prepared with the sources unpacked when it does not exist), in the step's sandbox, with\n"
	"its exact environment and job slots (MAKEFLAGS with a jobserver of -j N), in the source's top\n"
	"directory. lfs_build, lfs_test and lfs_install run the recipe's sections (set -e -o pipefail, in\n"
	"a subshell in that directory), one by one. Chapters 4-6 run as the build uid on the host's view.\n"
	"\n"
	"-c COMMAND runs COMMAND instead and exits with its status. The shell holds the work directory's\n"
	"lock: it is refused while a build (or another shell) runs, and no build starts while it is open.\n"
	"When it ends, or lfsbuild is killed, nothing of it is left: no mount, no process. Needs root.",
	run,
};
