/* shell: `lfsbuild shell [STEP]`. A shell in the new system WORKDIR/root as the chroot stages
 * see it (the sandbox of SANDBOX_CHROOT, the environment of the stage `system`), or in the
 * sandbox of one step (its build directory, kept as a failure left it or prepared as the runner
 * does, its environment and job slots, its recipe's sections as the shell functions lfs_build,
 * lfs_test, lfs_install). Interactive on a terminal of its own (a new pty from the sandbox's
 * devpts, copied to and from the user's terminal), or one command (-c). docs/sandbox.md. */
#pragma once
#include "config/config.h"

/* Run it: `step` NULL for the new system, `cfg->shell_command` NULL for an interactive shell.
 * Takes state/lock for as long as the shell runs (refused while a build, or another shell,
 * holds it). Needs root (the caller checks). Returns the exit status: the shell's (128+N when
 * signal N ended it), 1 when it could not start (said on stderr), 2 for an unknown step. */
int shell_run(const struct config *cfg, const char *step);
