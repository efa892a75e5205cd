/* eta: how long the rest of a build will take, from the book's SBU figures scaled by the SBU
 * measured on this machine. A pure function of its inputs (no clock, no files). */
#pragma once
#include <stddef.h>

/* Seconds assumed for one SBU before ch5/binutils-pass1 has been measured here. */
#define ETA_DEFAULT_SBU 85.0

enum eta_state { ETA_TODO, ETA_RUNNING, ETA_FINISHED };

struct eta_step {
	double sbu;             /* the SBU expected (book/timings, else the book's figure) */
	enum eta_state state;
	double elapsed;         /* ETA_RUNNING: seconds it has run so far */
	int stage;              /* stage index: a step comes after every step of an earlier stage */
	const size_t *deps;     /* optional direct dependencies (indices of earlier steps), or NULL */
	size_t ndeps;
};

/* Seconds a step still needs: its expected SBU x `sbu`, less what it has run (never below 0). */
double eta_step_remaining(const struct eta_step *s, double sbu);
/* Seconds until the last of the steps finishes with `jobs` job slots. Steps in execution order.
 * Per stage (stages are barriers): max(the longest remaining chain, remaining work / jobs); the
 * chain is the longest path through `deps` when any step has deps, else the longest single
 * step. The stages' figures add up. `sbu` <= 0 means ETA_DEFAULT_SBU. */
double eta_seconds(const struct eta_step *steps, size_t n, double sbu, int jobs);
