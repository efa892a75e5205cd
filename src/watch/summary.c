/* summary: the text summary of `lfsbuild report`: wall, CPU, utilisation, top steps, stages. */
#include "watch/summary.h"

#include <stdlib.h>
#include <string.h>

#include "watch/lanes.h"

/* The end time that the summary's sort uses for steps still running. */
static double sort_end;

/* Longest first (a running step's bar ends at sort_end), then by id. */
static int cmp_wall_desc(const void *a, const void *b)
{
	const struct run_step *x = *(const struct run_step *const *)a, *y = *(const struct run_step *const *)b;
	double wx = run_step_end(x, sort_end) - x->start, wy = run_step_end(y, sort_end) - y->start;
	if (wx != wy)
		return wx > wy ? -1 : 1;
	return strcmp(x->id, y->id);
}

/* The totals: steps, wall (the time during which at least one step ran), CPU, utilisation, SBU. */
static void put_totals(FILE *out, const struct run_info *ri, struct run_step **bars, size_t nb, double end)
{
	double wall = 0, cur0 = 0, cur1 = -1, cpu = 0, first = 0, last = 0;
	for (size_t i = 0; i < nb; i++) {
		double s = bars[i]->start, e = run_step_end(bars[i], end);
		if (i == 0 || s < first)
			first = s;
		if (e > last)
			last = e;
		if (bars[i]->has_wall)
			cpu += bars[i]->cpu;
		if (s > cur1) {
			if (cur1 > cur0)
				wall += cur1 - cur0;
			cur0 = s;
			cur1 = e;
		} else if (e > cur1) {
			cur1 = e;
		}
	}
	if (nb && cur1 > cur0)
		wall += cur1 - cur0;
	int jobs = ri->jobs > 0 ? ri->jobs : 1;
	fprintf(out, "steps:   %zu with timings", nb);
	size_t nfail = 0;
	for (size_t i = 0; i < nb; i++)
		nfail += bars[i]->status == ST_FAILED || bars[i]->status == ST_INTERRUPTED;
	if (nfail)
		fprintf(out, " (%zu failed or interrupted)", nfail);
	if (ri->from_json)
		fprintf(out, "; last run %s, -j%d", *ri->state ? ri->state : "?", jobs);
	fputc('\n', out);
	fprintf(out, "wall:    %s with a step running", fmt_duration(wall));
	if (last - first > wall + 1)
		fprintf(out, " (first start to last end %s)", fmt_duration(last - first));
	fputc('\n', out);
	fprintf(out, "CPU:     %s (user + system, all steps)\n", fmt_duration(cpu));
	if (wall > 0)
		fprintf(out, "CPU use: %.0f%% = CPU / (wall x %d job%s)\n", 100 * cpu / (wall * jobs), jobs, jobs == 1 ? "" : "s");
	if (ri->sbu > 0)
		fprintf(out, "SBU:     %.1f s (ch5/binutils-pass1 on this machine)\n", ri->sbu);
}

/* The 10 longest steps. */
static void put_top(FILE *out, const struct run_info *ri, struct run_step **bars, size_t nb, double end)
{
	struct run_step **top = xcalloc(nb + 1, sizeof *top);
	memcpy(top, bars, nb * sizeof *top);
	sort_end = end;
	qsort(top, nb, sizeof *top, cmp_wall_desc);
	size_t ntop = nb < 10 ? nb : 10;
	if (ntop)
		fprintf(out, "\ntop %zu steps by wall time:\n", ntop);
	size_t idw = 4;
	for (size_t i = 0; i < ntop; i++)
		if (strlen(top[i]->id) > idw)
			idw = strlen(top[i]->id);
	for (size_t i = 0; i < ntop; i++) {
		const struct run_step *s = top[i];
		double e = run_step_end(s, end) - s->start;
		fprintf(out, "  %2zu. %-*s %9s", i + 1, (int)idw, s->id, fmt_duration(e));
		if (ri->sbu > 0)
			fprintf(out, " %7.2f SBU", e / ri->sbu);
		fprintf(out, "  CPU %9s  %s", s->has_wall ? fmt_duration(s->cpu) : "-", s->stage);
		if (s->status == ST_FAILED || s->status == ST_INTERRUPTED || s->status == ST_RUNNING)
			fprintf(out, "  %s", step_status_name(s->status));
		fputc('\n', out);
	}
	free(top);
}

/* Per stage with timings: steps, sum of walls, first start to last end, CPU. */
static void put_stages(FILE *out, const struct run_info *ri, struct run_step **bars, size_t nb, double end)
{
	const char *stages[64];
	size_t nst = run_stages(ri, stages, ARRAY_LEN(stages));
	bool header = false;
	for (size_t k = 0; k < nst; k++) {
		size_t count = 0;
		double sw = 0, sc = 0, s0 = 0, s1 = 0;
		for (size_t i = 0; i < nb; i++) {
			const struct run_step *s = bars[i];
			if (strcmp(s->stage, stages[k]))
				continue;
			double e = run_step_end(s, end);
			if (!count || s->start < s0)
				s0 = s->start;
			if (!count || e > s1)
				s1 = e;
			count++;
			sw += e - s->start;
			sc += s->has_wall ? s->cpu : 0;
		}
		if (!count)
			continue;
		if (!header) {
			fprintf(out, "\nper stage:          steps   sum of walls  first start to last end        CPU\n");
			header = true;
		}
		fprintf(out, "  %-16s %7zu   %12s  %22s  %9s\n", stages[k], count, fmt_duration(sw), fmt_duration(s1 - s0),
		        fmt_duration(sc));
	}
}

/* The CPU of a step summed over its measured phases. */
static double phases_cpu(const struct run_step *s)
{
	double c = 0;
	for (int k = 0; k < PHASE_N; k++)
		c += s->phases.has[k] ? s->phases.cpu[k] : 0;
	return c;
}

/* Most CPU over its phases first, then by id. */
static int cmp_phase_cpu_desc(const void *a, const void *b)
{
	const struct run_step *x = *(const struct run_step *const *)a, *y = *(const struct run_step *const *)b;
	double cx = phases_cpu(x), cy = phases_cpu(y);
	if (cx != cy)
		return cx > cy ? -1 : 1;
	return strcmp(x->id, y->id);
}

/* One row of the phase table: a duration per phase ("-" where not measured), then the sum. */
static void put_phase_row(FILE *out, const char *label, int w, const bool *has, const double *cpu)
{
	double sum = 0;
	fprintf(out, "  %-*s", w, label);
	for (int k = 0; k < PHASE_N; k++) {
		fprintf(out, " %9s", has[k] ? fmt_duration(cpu[k]) : "-");
		sum += has[k] ? cpu[k] : 0;
	}
	fprintf(out, " %9s\n", fmt_duration(sum));
}

/* CPU per phase (docs/watching.md, "Phases"): the totals of the steps that have phases, then the
 * 10 steps with the most CPU. Nothing when no step has phases (a run before they were measured). */
static void put_phases(FILE *out, struct run_step **bars, size_t nb)
{
	struct run_step **top = xcalloc(nb + 1, sizeof *top);
	size_t n = 0;
	bool has[PHASE_N] = {false};
	double tot[PHASE_N] = {0};
	for (size_t i = 0; i < nb; i++) {
		if (!phases_any(&bars[i]->phases))
			continue;
		top[n++] = bars[i];
		for (int k = 0; k < PHASE_N; k++) {
			has[k] |= bars[i]->phases.has[k];
			tot[k] += bars[i]->phases.has[k] ? bars[i]->phases.cpu[k] : 0;
		}
	}
	if (n) {
		qsort(top, n, sizeof *top, cmp_phase_cpu_desc);
		size_t ntop = n < 10 ? n : 10;
		int w = 18;
		for (size_t i = 0; i < ntop; i++)
			if ((int)strlen(top[i]->id) + 4 > w)
				w = (int)strlen(top[i]->id) + 4;
		fprintf(out, "\nCPU per phase (user + system; unpack: lfsbuild's own):\n  %-*s", w, "");
		for (int k = 0; k < PHASE_N; k++)
			fprintf(out, " %9s", phase_name((enum phase)k));
		fprintf(out, " %9s\n", "total");
		char *label = xasprintf("all %zu step%s", n, n == 1 ? "" : "s");
		put_phase_row(out, label, w, has, tot);
		free(label);
		for (size_t i = 0; i < ntop; i++) {
			label = xasprintf("%2zu. %s", i + 1, top[i]->id);
			put_phase_row(out, label, w, top[i]->phases.has, top[i]->phases.cpu);
			free(label);
		}
	}
	free(top);
}

void run_write_summary(struct run_info *ri, double end, FILE *out)
{
	size_t nb;
	struct run_step **bars = run_bars(ri, &nb);
	put_totals(out, ri, bars, nb, end);
	put_top(out, ri, bars, nb, end);
	put_stages(out, ri, bars, nb, end);
	put_phases(out, bars, nb);
	free(bars);
}
