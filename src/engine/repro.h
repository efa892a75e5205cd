/* repro: `lfsbuild repro STEP...`, a reproducibility check per step (docs/engine.md,
 * "Reproducibility"). Each step is built again from the same inputs (recipe, sources, settings,
 * environment, SOURCE_DATE_EPOCH) by the runner of `build`, on a scratch copy of the root as it
 * was before it: WORKDIR/repro/<flat id>/root, made from the package archives of the steps that
 * ran before it, unpacked and merged in the order of their merges (engine/capture.h's merge, so
 * deletions and replaced directories count as they did), a `capture no` step run again there.
 * What the step writes is captured and compared with its package archive entry by entry (type,
 * mode, owner, size and sha256, link target): `STEP: identical`, or `STEP: N files differ` and a
 * line per path. The work directory's root, stamps and packages are only read. */
#pragma once
#include "config/config.h"

/* Check the steps named by argv (step ids). Says the result of each on stdout, writes
 * WORKDIR/logs/repro/<id>.json (and .log, the rebuild's log; .txt, diffoscope's report of the
 * files that differ, when diffoscope is installed) and a line per step in
 * WORKDIR/logs/repro/summary.tsv. Needs root (an overlay per step) and takes state/lock. The exit
 * status: 0 when every step is identical, 1 when one differs, 2 when one could not be checked (an
 * unknown step, no package archive, its inputs changed, the rebuild failed; nothing is rebuilt
 * when a step cannot be checked), 128+N after SIGINT or SIGTERM. */
int repro_run(struct config *cfg, int argc, char **argv);
