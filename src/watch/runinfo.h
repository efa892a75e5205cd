/* runinfo: the run model. A build as state/run.json (and the stamps, logs/timings.tsv) describe
 * it: its steps with their status and timings; whether it is still going on; its ETA. */
#pragma once
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include "state/state.h"
#include "lib/util.h"

struct run_step {
	char *id, *title, *stage, *reason, *log;
	double sbu_book;
	double sbu_expect;      /* what the ETA expects (book/timings, else the book): sbu_book if absent */
	enum step_status status;
	double start;           /* epoch seconds, 0: never started */
	double wall, cpu;       /* valid when has_wall */
	bool has_wall;
	long maxrss_kib;        /* -1: unknown */
	int exit_code;          /* -1: none */
	struct phases phases;   /* wall and CPU per phase, where measured (run.json's "phases", the stamp's) */
	int lane;               /* set by run_lanes(): 0-based job slot lane, -1 if not drawn */
};

struct run_info {
	bool from_json;         /* run.json was read (else: stamps and timings only) */
	long pid;
	char *state;            /* "running", "done", "failed", "interrupted" ("" without run.json) */
	char *command;          /* the command that resumes the build, or NULL */
	double started, updated;
	int jobs;
	double sbu;             /* seconds of 1 SBU measured here, 0: not yet */
	struct run_step *steps; /* in execution order (by start time without run.json) */
	size_t n;
};

/* Parse the text of a run.json into ri. 0, or -1 with a reason in err ("line L, column C: ..."
 * for text that is not JSON). */
int run_info_parse(const char *text, struct run_info *ri, char *err, size_t errlen);
/* Read WORKDIR/state/run.json, fill timings missing there from the stamps; without run.json,
 * build the steps from the stamps and logs/timings.tsv. 0; -1 (reason in err) when there is
 * nothing at all to read. */
int run_info_load(const char *workdir, struct run_info *ri, char *err, size_t errlen);
void run_info_free(struct run_info *ri);
/* Index of the step `id`, or -1. */
ssize_t run_info_find(const struct run_info *ri, const char *id);
/* The end of a step's bar: start + wall, or `end` for one still running. */
double run_step_end(const struct run_step *s, double end);
/* The stages of ri's steps in order of first appearance (at most max) into names: their count. */
size_t run_stages(const struct run_info *ri, const char **names, size_t max);

/* Is `pid` a live lfsbuild process? */
bool run_pid_alive(long pid);
/* Is the run going on: state "running" and its pid alive. */
bool run_is_live(const struct run_info *ri);
/* Seconds until the build ends at time `now`; *assumed is set when the SBU is a guess
 * (ETA_DEFAULT_SBU). `live`: the build goes on (its failed and blocked steps will not run);
 * else the time a resumed build would take (they run again). */
double run_eta(const struct run_info *ri, double now, bool live, bool *assumed);
