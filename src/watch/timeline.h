/* timeline: a run as an SVG timeline (logs/timeline.svg). */
#pragma once
#include "watch/runinfo.h"

/* Write the SVG timeline: one lane per job slot, stage colours, a time axis, a legend; idle
 * gaps between runs are shortened and marked. */
int run_write_svg(struct run_info *ri, double end, FILE *out);
