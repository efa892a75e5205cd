/* statusline: the status lines of a run, for `lfsbuild status` and the TTY status area. */
#pragma once
#include "watch/runinfo.h"

/* The status area: a line with done/total, running and failed counts, elapsed time and ETA
 * (`live`: the build goes on; else the time the rest would take), then one line per running
 * step (at most max_running, then "+N more"). Lines are cut to `width` columns (0: no limit);
 * `color` adds ANSI colours. */
void run_status_lines(const struct run_info *ri, double now, bool live, int width, bool color, int max_running,
                      struct strv *lines);
