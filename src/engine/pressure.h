/* pressure: is there CPU to spare? The rule behind `build --overcommit N` (issue 17): a step
 * that is ready may start beyond the job slots while the cores idle (a step's configure, a
 * serial install, python's profile run hold a slot and leave a core unused) and the CPU is not
 * contended. Two readings over a window of PRESSURE_WINDOW seconds: the idle time of
 * /proc/stat (idle + iowait, in cores) and the `some avg10` of /proc/pressure/cpu (PSI: the
 * share of the last ten seconds in which a runnable task waited for a CPU). Room is at least
 * PRESSURE_IDLE_MIN cores idle and PSI below PRESSURE_SOME_MAX %. The files are
 * LFSBUILD_PROC_STAT and LFSBUILD_PROC_PRESSURE_CPU when set (the tests' stand-ins). */
#pragma once
#include <stdbool.h>
#include <stddef.h>

#define PRESSURE_WINDOW 3.0    /* seconds between the two samples of /proc/stat */
#define PRESSURE_IDLE_MIN 0.75 /* cores idle over the window */
#define PRESSURE_SOME_MAX 10.0 /* % of PSI's some avg10 */

struct pressure {
	double t;                     /* when the last sample was taken (monotonic s), 0: none */
	unsigned long long idle, all; /* its counters (jiffies, all CPUs) */
	double idle_cores;            /* over the last complete window, -1: none yet */
	double some;                  /* PSI some avg10 at the last window's end, -1: no PSI here */
	bool have_window;
};

void pressure_init(struct pressure *p);
/* Samples (at most once per PRESSURE_WINDOW) and says whether there is room for one more step
 * now: true with `why` set to the readings ("1.2 cores idle, CPU pressure 0.4 %"); false while
 * the first window is not complete, the readings say no, or a file cannot be read (kernel
 * without PSI: `why` says so). */
bool pressure_room(struct pressure *p, double now, char *why, size_t len);
/* The readings of the files, for the tests: /proc/stat's first line as idle and all jiffies and
 * the number of CPUs (its cpuN lines); PSI's some avg10. -1 when the file cannot be read or
 * parsed. */
int pressure_read_stat(const char *path, unsigned long long *idle, unsigned long long *all, int *ncpu);
int pressure_read_psi(const char *path, double *some10);
