/* report: a build as state/run.json (and the stamps, logs/timings.tsv) describe it, and the
 * ways to show it. One include for the modules that make it up:
 *   runinfo     the run model (struct run_info: reading run.json, stamps, timings.tsv; ETA)
 *   lanes       the steps with timings as bars, each on a job slot lane
 *   statusline  the status lines (`lfsbuild status`, the TTY status area)
 *   trace       the Chrome trace (logs/trace.json)
 *   timeline    the SVG timeline (logs/timeline.svg)
 *   summary     the text summary of `lfsbuild report` */
#pragma once
#include "watch/runinfo.h"
#include "watch/lanes.h"
#include "watch/statusline.h"
#include "watch/trace.h"
#include "watch/timeline.h"
#include "watch/summary.h"
