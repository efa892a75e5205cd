/* summary: a run's text summary (`lfsbuild report`). */
#pragma once
#include "watch/runinfo.h"

/* The text summary: total wall, CPU, utilisation, top 10 steps, per-stage totals. */
void run_write_summary(struct run_info *ri, double end, FILE *out);
