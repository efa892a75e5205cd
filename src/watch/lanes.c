/* lanes: the steps drawn as bars (those with timings) in start order, each on a job slot lane. */
#include "watch/lanes.h"

#include <stdlib.h>

struct run_step **run_bars(struct run_info *ri, size_t *nb)
{
	struct run_step **v = xcalloc(ri->n + 1, sizeof *v);
	size_t n = 0;
	for (size_t i = 0; i < ri->n; i++)
		if (ri->steps[i].start > 0 && (ri->steps[i].has_wall || ri->steps[i].status == ST_RUNNING))
			v[n++] = &ri->steps[i];
	/* insertion sort by start (stable: execution order among equal starts) */
	for (size_t i = 1; i < n; i++) {
		struct run_step *x = v[i];
		size_t j = i;
		while (j > 0 && v[j - 1]->start > x->start) {
			v[j] = v[j - 1];
			j--;
		}
		v[j] = x;
	}
	*nb = n;
	return v;
}

/* Two steps that merely follow each other (the next starts as the last ends) share a lane:
 * start is wall-clock time, wall is measured on the monotonic clock. */
#define LANE_SLACK 0.25

int run_lanes(struct run_info *ri, double end)
{
	size_t nb;
	struct run_step **bars = run_bars(ri, &nb);
	double *lane_end = xcalloc(nb + 1, sizeof *lane_end);
	int lanes = 0;
	for (size_t i = 0; i < ri->n; i++)
		ri->steps[i].lane = -1;
	for (size_t i = 0; i < nb; i++) {
		int l = 0;
		while (l < lanes && lane_end[l] > bars[i]->start + LANE_SLACK)
			l++;
		if (l == lanes)
			lanes++;
		bars[i]->lane = l;
		lane_end[l] = run_step_end(bars[i], end);
	}
	free(lane_end);
	free(bars);
	return lanes;
}
