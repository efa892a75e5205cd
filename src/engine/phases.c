/* phases: the per-phase wall and CPU of a step from its script's marks. */
#include "engine/phases.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/util.h"

struct mark {
	enum phase phase;
	double at, cpu;         /* epoch; user + system of the shell and its ended children so far */
};

/* "1m2.500s 0m0.250s" (bash's `times`): the sum of the two, or -1. */
static double times_line(const char *line)
{
	long m1, m2;
	double s1, s2;
	if (sscanf(line, "%ldm%lfs %ldm%lfs", &m1, &s1, &m2, &s2) != 4 || m1 < 0 || m2 < 0 || s1 < 0 || s2 < 0)
		return -1;
	return (double)m1 * 60 + s1 + (double)m2 * 60 + s2;
}

/* The marks of text, in order; their count, or -1 when a mark is malformed. */
static int parse_marks(char *text, struct mark *marks, int max)
{
	int n = 0;
	char *save = NULL;
	for (char *l = strtok_r(text, "\n", &save); l; l = strtok_r(NULL, "\n", &save)) {
		if (!str_starts(l, "lfsbuild-phase "))
			return -1;
		char name[16], *end;
		if (sscanf(l + 15, "%15s", name) != 1 || n == max)
			return -1;
		const char *t = l + 15 + strlen(name);
		double at = strtod(t, &end);
		char *self = strtok_r(NULL, "\n", &save), *kids = strtok_r(NULL, "\n", &save);
		if (end == t || *end || !self || !kids)
			return -1;
		double c1 = times_line(self), c2 = times_line(kids);
		enum phase p = phase_from_name(name);
		if (c1 < 0 || c2 < 0 || p == PHASE_N || p == PHASE_UNPACK)
			return -1;
		marks[n++] = (struct mark){p, at, c1 + c2};
	}
	return n;
}

void phases_from_marks(const char *text, size_t len, double start, double wall, double cpu, struct phases *ph)
{
	char *copy = xstrndup(text ? text : "", text ? len : 0);
	for (char *p = copy; *p; p++)
		if (*p == ',')      /* a locale's decimal comma */
			*p = '.';
	struct mark m[PHASE_N];
	int n = parse_marks(copy, m, PHASE_N);
	free(copy);
	for (int k = 0; k < n; k++) {
		double prev_at = k ? m[k - 1].at : start, prev_cpu = k ? m[k - 1].cpu : 0;
		if ((k && m[k].phase <= m[k - 1].phase) || m[k].at < prev_at - 0.5 || m[k].cpu < prev_cpu)
			n = -1;
	}
	if (n <= 0 || m[n - 1].cpu > cpu + 0.05 || m[n - 1].at > start + wall + 0.5)
		return;
	for (int k = 0; k < n; k++) {
		enum phase p = m[k].phase;
		double from_at = k ? m[k].at : start, from_cpu = k ? m[k].cpu : 0;
		double to_at = k + 1 < n ? m[k + 1].at : start + wall, to_cpu = k + 1 < n ? m[k + 1].cpu : cpu;
		ph->has[p] = true;
		ph->wall[p] = to_at > from_at ? to_at - from_at : 0;
		ph->cpu[p] = to_cpu > from_cpu ? to_cpu - from_cpu : 0;
	}
}
