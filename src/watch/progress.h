/* progress: what a build tells the user as it goes. The scheduler calls these and nothing else
 * prints progress, so that a richer display (a TTY status area) can replace the plain lines.
 * The events carry everything a display needs (the plan's steps with their stages and SBU
 * figures, start times, the measured SBU): a display never reads the build's files. */
#pragma once
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

struct progress_step {
	const char *id, *title;
	const char *reason;     /* skip/run: why; fail: NULL */
	double wall;            /* done/fail/interrupted: seconds */
	double sbu;             /* the measured SBU in seconds, 0 if unknown (done: to print the step's SBU) */
	int status;             /* fail: the exit status (128+N: signal N; -1: it could not start) */
	const char *log;        /* fail: the log's path */
	size_t done, total;     /* steps finished (run or skipped) and all selected steps */
	size_t running;
	const char *stage;      /* the step's stage ("cross", "temp", ...), NULL if unknown */
	double sbu_book;        /* the book's build time in SBU */
	double sbu_expect;      /* the SBU the ETA expects (book/timings, else sbu_book) */
	double start;           /* start/done/fail/interrupted: epoch seconds it started, 0: unknown */
};

/* The build about to run, given once to `plan` before the first skip or run. */
struct progress_plan {
	const struct progress_step *steps; /* the selected steps in execution order: id, title, stage, SBU */
	size_t n;
	double started;         /* epoch seconds the build started */
	int jobs;               /* job slots */
	double sbu;             /* seconds of 1 SBU measured here, 0: not yet */
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
	/* Optional (NULL: none): the selected steps, once, before their skip and run lines. */
	void (*plan)(struct progress *p, const struct progress_plan *plan);
	/* Optional (NULL: none): a running step ended by SIGINT or SIGTERM (the build says so at its
	 * end; it will run again). */
	void (*interrupted)(struct progress *p, const struct progress_step *s);
};

/* Plain timestamped lines: "[12:03:04] start ch5/binutils-pass1". */
void progress_plain_init(struct progress *p, FILE *out, bool quiet, int verbose);
