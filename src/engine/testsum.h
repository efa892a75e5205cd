/* testsum: what a package's test suite said, read from its log (logs/tests/STEP.log), and the
 * per-package summary of a `build --tests` (logs/tests/summary.txt, docs/engine.md).
 * The formats recognised are those the test suites of LFS chapter 8 print: automake's parallel
 * harness, DejaGnu, autotest (GNU testsuite), glibc, Perl's TAP harness, Python's regrtest,
 * meson, check, cmocka, tcltest, and the own summaries of e2fsprogs, util-linux, gawk, make and vim. A log
 * in none of them gives "no summary found": nothing is guessed from single PASS/FAIL lines. */
#pragma once
#include <stdbool.h>

struct recipe_set;

struct test_counts {
	bool found;             /* at least one summary was recognised */
	long passed;            /* passed (automake PASS, DejaGnu expected passes, ...) */
	long failed;            /* failed unexpectedly (FAIL, DejaGnu unexpected failures, meson Fail) */
	long xfail;             /* expected failures as the harness counts them (XFAIL, KFAIL) */
	long xpass;             /* unexpected passes (XPASS, DejaGnu unexpected successes) */
	long skipped;           /* skipped, unsupported, untested */
	long errors;            /* ERROR, DejaGnu unresolved, meson Timeout, a test program that died */
	int exit_status;        /* what the engine appended to the log ("lfsbuild: the tests exited
	                         * with status N"), -1 when the log does not say */
	char formats[160];      /* the formats recognised, blank-separated ("automake dejagnu") */
};

/* The line run.c appends to a test log after the %test section ended; "%d" is its status. */
#define TESTSUM_EXIT_LINE "lfsbuild: the tests exited with status "

/* Read the summaries of a test log's text; several blocks of one format (an automake
 * summary per directory, a DejaGnu summary per tool) are added up. */
void testsum_parse(const char *text, struct test_counts *c);
/* Every unexpected result: failed + errors + xpass. */
long testsum_unexpected(const struct test_counts *c);
/* The verdict for a step whose book expects `known` failures (-1: no count given):
 * "ok", "FAILED: N unexpected", "expected failures only", or "no summary found: see
 * logs/tests/STEP.log" (malloc'd). */
char *testsum_verdict(const struct test_counts *c, long known, const char *step);
/* After a build: rewrite WORKDIR/logs/tests/summary.txt (temp + rename) from the test logs of
 * the steps of `set`, when `tests` (the build ran with --tests) or when the file exists already
 * (its lines are then marked again: "stale" for a step rebuilt since without its tests).
 * `started`: when this build began (lines of logs written since say "this"). Returns the line
 * to print at the end of the build (malloc'd; NULL when nothing was written or `tests` is off);
 * a failure to write is said on stderr as a warning. */
char *testsum_after_build(const char *workdir, const struct recipe_set *set, double started, bool tests);
/* The text of summary.txt for the steps of `set` (malloc'd), and the tally line in *tally
 * (malloc'd; may be NULL). NULL when no step has a test log. */
char *testsum_summary(const char *workdir, const struct recipe_set *set, double started, char **tally);
/* WORKDIR/logs/tests/summary.txt (malloc'd). */
char *testsum_summary_path(const char *workdir);
