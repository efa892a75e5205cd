/* pressure: is there CPU to spare? (pressure.h) */
#include "engine/pressure.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *stat_path(void)
{
	const char *p = getenv("LFSBUILD_PROC_STAT");
	return p && *p ? p : "/proc/stat";
}

static const char *psi_path(void)
{
	const char *p = getenv("LFSBUILD_PROC_PRESSURE_CPU");
	return p && *p ? p : "/proc/pressure/cpu";
}

int pressure_read_stat(const char *path, unsigned long long *idle, unsigned long long *all, int *ncpu)
{
	FILE *f = fopen(path, "re");
	if (!f)
		return -1;
	char line[512];
	int rc = -1, n = 0;
	while (fgets(line, sizeof line, f)) {
		if (strncmp(line, "cpu", 3))
			continue;
		if (line[3] == ' ') {
			/* user nice system idle iowait irq softirq steal (guest time is in user already) */
			unsigned long long v[8] = {0};
			if (sscanf(line + 3, "%llu %llu %llu %llu %llu %llu %llu %llu", &v[0], &v[1], &v[2], &v[3], &v[4],
			           &v[5], &v[6], &v[7]) >= 4) {
				*idle = v[3] + v[4];
				*all = 0;
				for (int k = 0; k < 8; k++)
					*all += v[k];
				rc = 0;
			}
		} else if (line[3] >= '0' && line[3] <= '9')
			n++;
	}
	fclose(f);
	if (rc == 0 && n == 0)
		rc = -1;
	*ncpu = n;
	return rc;
}

int pressure_read_psi(const char *path, double *some10)
{
	FILE *f = fopen(path, "re");
	if (!f)
		return -1;
	char line[256];
	int rc = -1;
	while (fgets(line, sizeof line, f))
		if (sscanf(line, "some avg10=%lf", some10) == 1 && *some10 >= 0) {
			rc = 0;
			break;
		}
	fclose(f);
	return rc;
}

void pressure_init(struct pressure *p)
{
	*p = (struct pressure){.idle_cores = -1, .some = -1};
}

/* A new sample of /proc/stat: the window since the last one, and PSI at its end. -1 (said in
 * `why`) when /proc/stat cannot be read: the next call starts again. */
static int sample(struct pressure *p, double now, char *why, size_t len)
{
	unsigned long long idle, all;
	int ncpu;
	if (pressure_read_stat(stat_path(), &idle, &all, &ncpu) < 0) {
		snprintf(why, len, "cannot read %s", stat_path());
		pressure_init(p);
		return -1;
	}
	/* counters that went back (another file, a wrap) open a new window */
	p->have_window = p->t > 0 && all > p->all && idle >= p->idle;
	if (p->have_window)
		p->idle_cores = (double)ncpu * (double)(idle - p->idle) / (double)(all - p->all);
	p->t = now;
	p->idle = idle;
	p->all = all;
	if (p->have_window && pressure_read_psi(psi_path(), &p->some) < 0)
		p->some = -1;
	return 0;
}

bool pressure_room(struct pressure *p, double now, char *why, size_t len)
{
	if ((p->t == 0 || now - p->t >= PRESSURE_WINDOW) && sample(p, now, why, len) < 0)
		return false;
	if (!p->have_window) {
		snprintf(why, len, "measuring");
		return false;
	}
	if (p->some < 0) {
		snprintf(why, len, "cannot read %s (a kernel without PSI)", psi_path());
		return false;
	}
	bool one = p->idle_cores >= 0.95 && p->idle_cores < 1.05;
	snprintf(why, len, "%.1f core%s idle, CPU pressure %.1f %%", p->idle_cores, one ? "" : "s", p->some);
	return p->idle_cores >= PRESSURE_IDLE_MIN && p->some < PRESSURE_SOME_MAX;
}
