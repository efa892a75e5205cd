/* sched: a build. Which steps to run (selection, stamps, the reason for each), then the
 * scheduler: a ready queue (longest remaining path first, then book order), a job table,
 * job slots shared with the makes inside steps through a jobserver, poll() over the steps'
 * output pipes and a signal self-pipe, the failure policy (-k), snapshots at stage ends, the
 * triage, and state/run.json. */
#pragma once
#include "config/config.h"

struct progress;

/* `lfsbuild build [STEP...]` with the options in cfg. Returns the exit status: 0, 1 (a step
 * failed or nothing could start), 2 (usage), 130/143 (SIGINT/SIGTERM). */
int sched_build(const struct config *cfg, int argc, char **argv, struct progress *progress);
/* The command that resumes this build, for messages (malloc'd). */
char *sched_resume_command(const struct config *cfg, int argc, char **argv);
