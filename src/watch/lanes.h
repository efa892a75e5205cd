/* lanes: how the steps of a run are laid out in time: the bars (the steps with timings, in
 * start order) and the job slot lane of each, for the Chrome trace, the SVG timeline and the
 * summary. */
#pragma once
#include "watch/runinfo.h"

/* The steps that have a bar (a start, and a wall time or still running), sorted by start
 * (execution order among equal starts): a malloc'ed array of *nb pointers into ri. */
struct run_step **run_bars(struct run_info *ri, size_t *nb);
/* Assign the steps that have a start to lanes, greedily by start time (the lowest free lane);
 * `end` is the time of the running steps' bars. Returns the number of lanes used. */
int run_lanes(struct run_info *ri, double end);
