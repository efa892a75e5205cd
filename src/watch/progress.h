/* progress: what a build tells the user as it goes. The scheduler calls these and nothing else
 * prints progress, so that a richer display (a TTY status area) can replace the plain lines. */
#pragma once
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

struct progress_step {
	const char *id, *title;
	const char *reason;     /* skip/run: why; fail: NULL */
	double wall;            /* done/fail: seconds */
	double sbu;             /* done: the measured SBU in seconds, 0 if unknown */
	int status;             /* fail: the exit status (128+N: signal N) */
	const char *log;        /* fail: the log's path */
	size_t done, total;     /* steps finished (run or skipped) and all selected steps */
	size_t running;
};

struct progress {
	/* A step is up to date (skip) or will run (run) and why: once per step before the run. */
	void (*skip)(struct progress *p, const struct progress_step *s);
	void (*run)(struct progress *p, const struct progress_step *s);
	void (*start)(struct progress *p, const struct progress_step *s);
	void (*done)(struct progress *p, const struct progress_step *s);
	void (*fail)(struct progress *p, const struct progress_step *s);
	/* Any other line the build has to say ("snapshot of stage cross written", ...). */
	void (*note)(struct progress *p, const char *text);
	FILE *out;
	bool quiet;
	int verbose;
	void *data;             /* for another implementation */
	/* Optional (NULL: none): called about once a second while steps run, to refresh a display. */
	void (*tick)(struct progress *p);
};

/* Plain timestamped lines: "[12:03:04] start ch5/binutils-pass1". */
void progress_plain_init(struct progress *p, FILE *out, bool quiet, int verbose);
