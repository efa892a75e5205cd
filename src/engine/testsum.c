/* testsum: read the summaries test suites print, and write logs/tests/summary.txt. */
#include "engine/testsum.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "book/recipe.h"
#include "state/state.h"
#include "lib/util.h"

/* ---- small readers ---- */

/* p is the plural or the singular wording of a count's text ("were run," / "was run,"). */
static bool either(const char *p, const char *plural, const char *singular)
{
	return !strcmp(p, plural) || !strcmp(p, singular);
}

/* A number at *p (digits, with the thousands commas some tools print: "44,123"); *p moves past
 * it. false when there is no digit at *p. */
static bool num(const char **p, long *out)
{
	const char *s = *p;
	if (!isdigit((unsigned char)*s))
		return false;
	long v = 0;
	for (;;) {
		if (isdigit((unsigned char)*s)) {
			if (v < 100000000000L)
				v = v * 10 + (*s - '0');
			s++;
		} else if (*s == ',' && isdigit((unsigned char)s[1]) && isdigit((unsigned char)s[2]) &&
		           isdigit((unsigned char)s[3]) && !isdigit((unsigned char)s[4])) {
			s++;
		} else {
			break;
		}
	}
	*p = s;
	*out = v;
	return true;
}

static const char *skip_blanks(const char *s)
{
	while (*s == ' ' || *s == '\t')
		s++;
	return s;
}

/* s starts with `prefix`: the rest, else NULL. */
static const char *after(const char *s, const char *prefix)
{
	size_t n = strlen(prefix);
	return strncmp(s, prefix, n) ? NULL : s + n;
}

/* "PREFIX<blanks>N<blanks>" is the whole line: N, else -1. */
static long key_count(const char *line, const char *prefix)
{
	const char *p = after(line, prefix);
	long v;
	if (!p)
		return -1;
	p = skip_blanks(p);
	if (!num(&p, &v))
		return -1;
	return *skip_blanks(p) ? -1 : v;
}

static void add_format(struct test_counts *c, const char *name)
{
	c->found = true;
	size_t n = strlen(name), len = strlen(c->formats);
	for (const char *f = c->formats; (f = strstr(f, name)); f += n)
		if ((f == c->formats || f[-1] == ' ') && (f[n] == ' ' || f[n] == '\0'))
			return;
	if (len + n + 2 < sizeof c->formats)
		snprintf(c->formats + len, sizeof c->formats - len, "%s%s", len ? " " : "", name);
}

/* ---- the parser: one pass over the lines, a little state per format ---- */

enum { DG_PASS, DG_FAIL, DG_XPASS, DG_XFAIL, DG_KPASS, DG_KFAIL, DG_UNRESOLVED, DG_UNSUPPORTED, DG_UNTESTED, DG_N };

static const char *const dg_keys[DG_N] = {
	"# of expected passes", "# of unexpected failures", "# of unexpected successes", "# of expected failures",
	"# of unknown successes", "# of known failures", "# of unresolved testcases", "# of unsupported tests",
	"# of untested testcases",
};

struct dg_block {
	long v[DG_N];
	unsigned mask;          /* the fields the block has */
};

struct dg_tool {
	char *name;             /* the text of "=== NAME ===" ("" without one) */
	struct dg_block sum;    /* the blocks counted since the last restatement */
	int nblocks;
};

struct parser {
	struct test_counts *c;
	char prev[256];         /* the last line that was neither blank nor a rule of '=' or '-' */
	/* automake */
	bool am_block, am_skip;
	/* DejaGnu */
	struct dg_tool *tools;
	size_t ntools;
	char *dg_tool;          /* the header above the block being read */
	struct dg_block dg;
	bool dg_open;
	/* glibc */
	bool glibc;
	/* autotest */
	int at_state;           /* 1: after "N tests were run," */
	long at_run, at_xpass, at_xfail_lines;
	/* Perl's harness */
	long perl_failed, perl_died;
	bool perl_counted;      /* the program of the last "(Wstat: ...)" line is counted already */
	/* Python's regrtest */
	bool py;
	long py_ok, py_failed, py_again, py_skipped;
	bool py_has_again;
	/* meson */
	int meson_left;
	/* tcltest */
	long tcl_all[4], tcl_other[4];
	bool tcl_all_seen, tcl_other_seen;
	/* vim */
	int vim_state;          /* 1: after "Executed:", 2: after " Skipped:" */
	long vim_executed, vim_skipped;
};

/* A DejaGnu block is complete: add it, unless it restates (as gcc's contrib/test_summary does)
 * the sum of the blocks of its tool counted before it. */
static void dg_close(struct parser *ps)
{
	if (!ps->dg_open)
		return;
	ps->dg_open = false;
	const char *name = ps->dg_tool ? ps->dg_tool : "";
	struct dg_tool *t = NULL;
	for (size_t i = 0; i < ps->ntools && !t; i++)
		if (!strcmp(ps->tools[i].name, name))
			t = &ps->tools[i];
	if (!t) {
		ps->tools = xrealloc(ps->tools, (ps->ntools + 1) * sizeof *ps->tools);
		t = &ps->tools[ps->ntools++];
		memset(t, 0, sizeof *t);
		t->name = xstrdup(name);
	}
	bool restates = t->nblocks > 0 && *name;
	for (int k = 0; k < DG_N && restates; k++)
		if ((ps->dg.mask & (1u << k)) && ps->dg.v[k] != t->sum.v[k])
			restates = false;
	if (restates) {
		memset(&t->sum, 0, sizeof t->sum);
		t->nblocks = 0;
		return;
	}
	struct test_counts *c = ps->c;
	const long *v = ps->dg.v;
	c->passed += v[DG_PASS];
	c->failed += v[DG_FAIL];
	c->xpass += v[DG_XPASS] + v[DG_KPASS];
	c->xfail += v[DG_XFAIL] + v[DG_KFAIL];
	c->errors += v[DG_UNRESOLVED];
	c->skipped += v[DG_UNSUPPORTED] + v[DG_UNTESTED];
	for (int k = 0; k < DG_N; k++)
		t->sum.v[k] += v[k];
	t->nblocks++;
	add_format(c, "dejagnu");
}

static bool dg_line(struct parser *ps, const char *line)
{
	const char *s = skip_blanks(line);
	if (str_starts(s, "=== ") && str_ends(s, " ===") && strlen(s) > 8) {
		dg_close(ps);
		free(ps->dg_tool);
		ps->dg_tool = xstrndup(s + 4, strlen(s) - 8);
		return true;
	}
	for (int k = 0; k < DG_N; k++) {
		const char *p = after(line, dg_keys[k]);
		long v;
		if (!p || (*p != ' ' && *p != '\t'))
			continue;
		p = skip_blanks(p);
		if (!num(&p, &v) || *skip_blanks(p))
			continue;
		if (!ps->dg_open || (ps->dg.mask & (1u << k))) {
			dg_close(ps);
			memset(&ps->dg, 0, sizeof ps->dg);
			ps->dg_open = true;
		}
		ps->dg.v[k] = v;
		ps->dg.mask |= 1u << k;
		return true;
	}
	/* A block ends at the first line that is none of its counts (blank lines aside). */
	if (ps->dg_open && *s) {
		dg_close(ps);
		free(ps->dg_tool);
		ps->dg_tool = NULL;
	}
	return false;
}

/* automake's parallel harness: "# TOTAL: N" opens a block of "# KEY: N" lines. The copy of the
 * block at the top of a test-suite.log (after a line naming that file) is not counted again. */
static bool automake_line(struct parser *ps, const char *line)
{
	long v;
	if ((v = key_count(line, "# TOTAL:")) >= 0) {
		ps->am_block = true;
		ps->am_skip = str_ends(ps->prev, ".log");
		if (!ps->am_skip)
			add_format(ps->c, "automake");
		return true;
	}
	if (!ps->am_block)
		return false;
	static const char *const keys[] = {"# PASS:", "# FAIL:", "# XFAIL:", "# XPASS:", "# SKIP:", "# ERROR:"};
	struct test_counts *c = ps->c;
	long *dst[] = {&c->passed, &c->failed, &c->xfail, &c->xpass, &c->skipped, &c->errors};
	for (size_t k = 0; k < ARRAY_LEN(keys); k++)
		if ((v = key_count(line, keys[k])) >= 0) {
			if (!ps->am_skip)
				*dst[k] += v;
			return true;
		}
	ps->am_block = false;
	return false;
}

/* glibc: "Summary of test results[ for extra tests]:" then lines "  N KIND" (uniq -c). */
static bool glibc_line(struct parser *ps, const char *line)
{
	if (str_starts(line, "Summary of test results") && str_ends(line, ":")) {
		ps->glibc = true;
		add_format(ps->c, "glibc");
		return true;
	}
	if (!ps->glibc)
		return false;
	const char *p = skip_blanks(line);
	long v;
	if (p != line && num(&p, &v) && *p == ' ') {
		p = skip_blanks(p);
		struct test_counts *c = ps->c;
		long *dst = !strcmp(p, "PASS") ? &c->passed : !strcmp(p, "FAIL") ? &c->failed
		          : !strcmp(p, "XFAIL") ? &c->xfail : !strcmp(p, "XPASS") ? &c->xpass
		          : !strcmp(p, "UNSUPPORTED") ? &c->skipped : !strcmp(p, "ERROR") ? &c->errors : NULL;
		if (dst) {
			*dst += v;
			return true;
		}
	}
	ps->glibc = false;
	return false;
}

/* "[ERROR: ][All ]N test[s] " at the start of an autotest result line: the rest, and N. */
static const char *autotest_head(const char *line, long *n)
{
	const char *p = line;
	if (str_starts(p, "ERROR: "))
		p += 7;
	if (str_starts(p, "All "))
		p += 4;
	if (!num(&p, n))
		return NULL;
	if (str_starts(p, " tests "))
		return p + 7;
	if (str_starts(p, " test "))
		return p + 6;
	return NULL;
}

/* autotest (GNU testsuite: bison, m4, tar, autoconf, ...): the result of general.m4. */
static bool autotest_line(struct parser *ps, const char *line)
{
	struct test_counts *c = ps->c;
	long n, f, x;
	const char *p;
	/* a test's own line: "  12: name   expected failure (file.at:34)" */
	p = skip_blanks(line);
	if (num(&p, &n) && *p == ':' && (strstr(p, " expected failure (") || str_ends(p, " expected failure")))
		ps->at_xfail_lines++;
	if (ps->at_state == 1) {
		p = line;
		if (num(&p, &f)) {
			if (!strcmp(p, " failed unexpectedly.")) {
				c->failed += f;
				c->passed += ps->at_run - f - ps->at_xpass;
				ps->at_state = 0;
				return true;
			}
			if (str_starts(p, " failed (") && num((p += 9, &p), &x) && str_starts(p, " expected failure")) {
				c->failed += f - x;
				c->xfail += x;
				c->passed += ps->at_run - f - ps->at_xpass;
				ps->at_state = 0;
				return true;
			}
			if (!strcmp(p, " passed unexpectedly,")) {
				c->xpass += f;
				ps->at_xpass = f;
				return true;
			}
			if (!strcmp(p, " passed unexpectedly.")) {
				c->xpass += f;
				c->xfail += ps->at_xfail_lines;
				c->passed += ps->at_run - f - ps->at_xfail_lines;
				ps->at_state = 0;
				ps->at_xfail_lines = 0;
				return true;
			}
			if (str_starts(p, " did not behave as expected (") && num((p += 29, &p), &x)) {
				c->failed += x;
				c->xpass += f - x;
				c->passed += ps->at_run - f;
				ps->at_state = 0;
				return true;
			}
		}
		ps->at_state = 0;
	}
	if (!(p = autotest_head(line, &n)))
		return false;
	if (either(p, "were skipped.", "was skipped.")) {
		c->skipped += n;
		return true;
	}
	if (either(p, "were successful.", "was successful.")) {
		c->passed += n;
	} else if (!strcmp(p, "behaved as expected.")) {
		/* the count of expected failures is not printed: the tests' own lines say it */
		long xf = ps->at_xfail_lines < n ? ps->at_xfail_lines : n;
		c->xfail += xf;
		c->passed += n - xf;
	} else if (either(p, "were run,", "was run,")) {
		ps->at_state = 1;
		ps->at_run = n;
		ps->at_xpass = 0;
	} else {
		return false;
	}
	ps->at_xfail_lines = 0;
	add_format(c, "autotest");
	return true;
}

/* Perl's TAP harness (perl, openssl, XML::Parser): "All tests successful." or the "Test Summary
 * Report" lines "t/x.t (Wstat: 256 ... Tests: 9 Failed: 2)", then "Files=N, Tests=M, ...";
 * Test::Harness 2: "Failed N/M test programs. X/Y subtests failed."; perl's t/TEST: "Failed N
 * tests out of M, P% okay.". */
static bool perl_line(struct parser *ps, const char *line)
{
	struct test_counts *c = ps->c;
	const char *p;
	long a, b;
	long w;
	if ((p = strstr(line, " (Wstat: ")) && (p += 9, num(&p, &w)) && (p = strstr(p, " Tests: ")) &&
	    (p += 8, num(&p, &a)) && str_starts(p, " Failed: ") && (p += 9, num(&p, &b)) && *p == ')') {
		ps->perl_failed += b;
		ps->perl_died += b == 0 && w != 0; /* died without a failed test */
		ps->perl_counted = b != 0 || w != 0;
		return true;
	}
	if (line[0] == ' ' && str_starts(skip_blanks(line), "Parse errors: ")) {
		if (!ps->perl_counted)
			ps->perl_died++; /* a wrong plan: a test program that stopped early */
		ps->perl_counted = true;
		return true;
	}
	if ((p = after(line, "Files=")) && num(&p, &a) && (p = after(p, ", Tests=")) && num(&p, &b)) {
		c->failed += ps->perl_failed;
		c->errors += ps->perl_died;
		c->passed += b > ps->perl_failed ? b - ps->perl_failed : 0;
		ps->perl_failed = ps->perl_died = 0;
		add_format(c, "perl");
		return true;
	}
	if ((p = after(line, "Failed ")) && num(&p, &a)) {
		if (*p == '/' && (++p, num(&p, &b)) && str_starts(p, " test programs. ")) {
			long x, y;
			p += 16;
			if (num(&p, &x) && *p == '/' && (++p, num(&p, &y)) && str_starts(p, " subtests failed")) {
				c->failed += x;
				c->passed += y - x;
			} else {
				c->failed += a;
				c->passed += b - a;
			}
			add_format(c, "perl");
			return true;
		}
		if (str_starts(p, " tests out of ") && (p += 14, num(&p, &b)) && str_starts(p, ", ")) {
			c->failed += a;
			c->passed += b - a;
			add_format(c, "perl");
			return true;
		}
	}
	return false;
}

/* Python's regrtest: "== Tests result: FAILURE ==", "N tests OK.", "N tests failed:", "N tests
 * skipped:", "Result: SUCCESS". Counted in test files (modules), as it prints them. */
static bool python_line(struct parser *ps, const char *line)
{
	const char *p = line;
	long n;
	if (str_starts(line, "== Tests result: ") || str_starts(line, "Tests result: ") ||
	    (str_starts(line, "Result: ") && (strstr(line, "SUCCESS") || strstr(line, "FAILURE")))) {
		ps->py = true;
		add_format(ps->c, "python");
		return true;
	}
	if (str_starts(p, "All "))
		p += 4;
	if (!num(&p, &n))
		return false;
	if (either(p, " tests OK.", " test OK.")) {
		ps->py_ok += n;
		ps->py = true;
		add_format(ps->c, "python");
		return true;
	}
	if (either(p, " tests failed:", " test failed:")) {
		ps->py_failed += n;
		return true;
	}
	if (either(p, " tests failed again:", " test failed again:")) {
		ps->py_again += n;
		ps->py_has_again = true;
		return true;
	}
	if (str_starts(p, " tests skipped") || str_starts(p, " test skipped")) {
		if (str_ends(p, ":")) {
			ps->py_skipped += n;
			return true;
		}
	}
	return false;
}

/* meson test: "Ok: N", then Expected Fail, Fail, Unexpected Pass, Skipped, Timeout. */
static bool meson_line(struct parser *ps, const char *line)
{
	struct test_counts *c = ps->c;
	long v;
	if ((v = key_count(line, "Ok:")) >= 0) {
		c->passed += v;
		ps->meson_left = 6;
		add_format(c, "meson");
		return true;
	}
	if (ps->meson_left <= 0)
		return false;
	ps->meson_left--;
	if ((v = key_count(line, "Expected Fail:")) >= 0)
		c->xfail += v;
	else if ((v = key_count(line, "Fail:")) >= 0)
		c->failed += v;
	else if ((v = key_count(line, "Unexpected Pass:")) >= 0)
		c->xpass += v;
	else if ((v = key_count(line, "Skipped:")) >= 0)
		c->skipped += v;
	else if ((v = key_count(line, "Timeout:")) >= 0)
		c->errors += v;
	else
		ps->meson_left = 0;
	return ps->meson_left > 0 || v >= 0;
}

/* check: "100%: Checks: 23, Failures: 0, Errors: 0"; cmocka: "[  PASSED  ] N test(s).",
 * "[  FAILED  ] N test(s), listed below:", "[  SKIPPED ] N test(s), ...". */
static bool check_line(struct parser *ps, const char *line)
{
	struct test_counts *c = ps->c;
	const char *p = strstr(line, "%: Checks: ");
	long n, f, e;
	if (p && (p += 11, num(&p, &n)) && str_starts(p, ", Failures: ") && (p += 12, num(&p, &f)) &&
	    str_starts(p, ", Errors: ") && (p += 10, num(&p, &e))) {
		c->passed += n - f - e;
		c->failed += f;
		c->errors += e;
		add_format(c, "check");
		return true;
	}
	static const char *const keys[] = {"[  PASSED  ] ", "[  FAILED  ] ", "[  SKIPPED ] "};
	long *dst[] = {&c->passed, &c->failed, &c->skipped};
	for (size_t k = 0; k < ARRAY_LEN(keys); k++)
		if ((p = after(line, keys[k])) && num(&p, &n) && str_starts(p, " test(s)")) {
			*dst[k] += n;
			add_format(c, "cmocka");
			return true;
		}
	return false;
}

/* tcltest (tcl, expect): "all.tcl:<TAB>Total<TAB>N<TAB>Passed<TAB>N<TAB>Skipped<TAB>N<TAB>Failed<TAB>N".
 * The lines of single test files count only when there is no all.tcl line. */
static bool tcl_line(struct parser *ps, const char *line)
{
	const char *colon = strchr(line, ':');
	if (!colon || colon == line || strcspn(line, " \t") < (size_t)(colon - line))
		return false;
	const char *p = skip_blanks(colon + 1);
	static const char *const keys[] = {"Total", "Passed", "Skipped", "Failed"};
	long v[4];
	for (int k = 0; k < 4; k++) {
		if (!(p = after(p, keys[k])))
			return false;
		p = skip_blanks(p);
		if (!num(&p, &v[k]))
			return false;
		p = skip_blanks(p);
	}
	bool all = str_starts(line, "all.tcl:");
	long *dst = all ? ps->tcl_all : ps->tcl_other;
	for (int k = 0; k < 4; k++)
		dst[k] += v[k];
	*(all ? &ps->tcl_all_seen : &ps->tcl_other_seen) = true;
	return true;
}

/* e2fsprogs (tests/test_post): "N tests succeeded<TAB>M tests failed"; util-linux (tests/run.sh):
 * "All N tests PASSED" or "M tests of N FAILED"; gawk, GNU make; vim (testdir/summarize.vim): "Executed: N Tests",
 * " Skipped: N Tests", "  Failed: N Tests" (FAILED when not 0) on consecutive lines. */
static bool own_line(struct parser *ps, const char *line)
{
	struct test_counts *c = ps->c;
	const char *s = skip_blanks(line), *p = s;
	long a, b;
	int vim = ps->vim_state;
	ps->vim_state = 0;
	if (num(&p, &a) && str_starts(p, " tests succeeded\t") && (p += 17, num(&p, &b)) && !strcmp(p, " tests failed")) {
		c->passed += a;
		c->failed += b;
		add_format(c, "e2fsprogs");
		return true;
	}
	if ((p = after(s, "All ")) && num(&p, &a) && !strcmp(p, " tests PASSED")) {
		c->passed += a;
		add_format(c, "util-linux");
		return true;
	}
	p = s;
	if (num(&p, &a) && str_starts(p, " tests of ") && (p += 10, num(&p, &b)) && !strcmp(p, " FAILED")) {
		c->passed += b - a;
		c->failed += a;
		add_format(c, "util-linux");
		return true;
	}
	/* gawk (test/Makefile.am pass-fail): no count of the tests passed */
	if (!strcmp(s, "ALL TESTS PASSED")) {
		add_format(c, "gawk");
		return true;
	}
	p = s;
	if (num(&p, &a) && !strcmp(p, " TESTS FAILED")) {
		c->failed += a;
		add_format(c, "gawk");
		return true;
	}
	/* GNU make (tests/test_driver.pl): "N Tests in M Categories Complete ... No Failures :-)", or
	 * "N Tests in M Categories Failed (See ...) :-(" (no count of those that passed) */
	p = s;
	if (num(&p, &a) && (str_starts(p, " Tests in ") || str_starts(p, " Test in ")) && (p = strstr(p, " in ") + 4, num(&p, &b)) &&
	    (str_starts(p, " Categories ") || str_starts(p, " Category "))) {
		p = strchr(p + 1, ' ') + 1;
		if (!strcmp(p, "Complete ... No Failures :-)")) {
			c->passed += a;
			add_format(c, "make");
			return true;
		}
		if (str_starts(p, "Failed (See ")) {
			c->failed += a;
			add_format(c, "make");
			return true;
		}
	}
	if (str_starts(s, "Some tests failed (See output for details) :-(")) {
		c->errors += 1;
		add_format(c, "make");
		return true;
	}
	if (vim == 0 && (p = after(s, "Executed:")) && (p = skip_blanks(p), num(&p, &a)) && !strcmp(p, " Tests")) {
		ps->vim_state = 1;
		ps->vim_executed = a;
		return true;
	}
	if (vim == 1 && (p = after(s, "Skipped:")) && (p = skip_blanks(p), num(&p, &a)) && !strcmp(p, " Tests")) {
		ps->vim_state = 2;
		ps->vim_skipped = a;
		return true;
	}
	if (vim == 2 && ((p = after(s, "Failed:")) || (p = after(s, "FAILED:"))) && (p = skip_blanks(p), num(&p, &a)) &&
	    !strcmp(p, " Tests")) {
		c->passed += ps->vim_executed - a;
		c->failed += a;
		c->skipped += ps->vim_skipped;
		add_format(c, "vim");
		return true;
	}
	return false;
}

/* A line without "\r" and ANSI colour sequences (automake colours its summary on a terminal). */
static void clean_line(const char *s, size_t n, struct buf *out)
{
	out->len = 0;
	buf_add(out, "", 0);
	if (!memchr(s, '\033', n) && !memchr(s, '\r', n)) {
		buf_add(out, s, n);
		n = 0;
	}
	for (size_t i = 0; i < n; i++) {
		if (s[i] == '\033' && i + 1 < n && s[i + 1] == '[') {
			i += 2;
			while (i < n && !(s[i] >= '@' && s[i] <= '~'))
				i++;
			continue;
		}
		if (s[i] == '\r')
			continue;
		buf_add(out, &s[i], 1);
	}
	/* trailing blanks: meson pads its counts */
	while (out->len && (out->data[out->len - 1] == ' ' || out->data[out->len - 1] == '\t'))
		out->data[--out->len] = '\0';
}

void testsum_parse(const char *text, struct test_counts *c)
{
	memset(c, 0, sizeof *c);
	c->exit_status = -1;
	struct parser ps = {0};
	ps.c = c;
	struct buf lb = {0};
	for (const char *s = text; s && *s;) {
		const char *nl = strchr(s, '\n');
		size_t n = nl ? (size_t)(nl - s) : strlen(s);
		clean_line(s, n, &lb);
		s += n + (nl ? 1 : 0);
		const char *line = lb.data;
		const char *ex = after(line, TESTSUM_EXIT_LINE);
		long v;
		if (ex && num(&ex, &v) && !*ex) {
			c->exit_status = (int)v;
			continue;
		}
		/* the first format that takes the line has it */
		(void)(dg_line(&ps, line) || automake_line(&ps, line) || glibc_line(&ps, line) || autotest_line(&ps, line) ||
		       perl_line(&ps, line) || python_line(&ps, line) || meson_line(&ps, line) || check_line(&ps, line) ||
		       tcl_line(&ps, line) || own_line(&ps, line));
		const char *t = skip_blanks(line);
		if (*t && strspn(t, "=-") != strlen(t))
			snprintf(ps.prev, sizeof ps.prev, "%s", t);
	}
	dg_close(&ps);
	if (ps.py) {
		c->passed += ps.py_ok;
		c->failed += ps.py_has_again ? ps.py_again : ps.py_failed;
		c->skipped += ps.py_skipped;
	}
	const long *tcl = ps.tcl_all_seen ? ps.tcl_all : ps.tcl_other_seen ? ps.tcl_other : NULL;
	if (tcl) {
		c->passed += tcl[1];
		c->skipped += tcl[2];
		c->failed += tcl[3];
		add_format(c, "tcltest");
	}
	for (size_t i = 0; i < ps.ntools; i++)
		free(ps.tools[i].name);
	free(ps.tools);
	free(ps.dg_tool);
	buf_free(&lb);
}

long testsum_unexpected(const struct test_counts *c)
{
	return c->failed + c->errors + c->xpass;
}

char *testsum_verdict(const struct test_counts *c, long known, const char *step)
{
	if (!c->found)
		return xasprintf("no summary found: see logs/tests/%s.log", step);
	long bad = testsum_unexpected(c);
	if (bad == 0) {
		if (c->exit_status > 0)
			return xasprintf("FAILED: exit status %d with no failed test counted: see logs/tests/%s.log",
			                 c->exit_status, step);
		return xstrdup("ok");
	}
	if (known > 0 && bad <= known)
		return xstrdup("expected failures only");
	return xasprintf("FAILED: %ld unexpected", bad - (known > 0 ? known : 0));
}

/* ---- the summary ---- */

char *testsum_summary_path(const char *workdir)
{
	return xasprintf("%s/logs/tests/summary.txt", workdir);
}

struct row {
	const char *id;
	struct test_counts c;
	long known;
	const char *known_text;
	const char *run;
	char *verdict;
};

static void cell(struct buf *b, bool have, long v)
{
	if (have)
		buf_printf(b, " %8ld", v);
	else
		buf_printf(b, " %8s", "-");
}

char *testsum_summary(const char *workdir, const struct recipe_set *set, double started, char **tally)
{
	if (tally)
		*tally = NULL;
	struct row *rows = xcalloc(set->nsteps + 1, sizeof *rows);
	size_t nrows = 0, width = 5;
	for (size_t i = 0; i < set->nsteps; i++) {
		const struct recipe *rc = &set->steps[i];
		char *log = xasprintf("%s/logs/tests/%s.log", workdir, rc->id);
		struct stat st;
		char *text = stat(log, &st) == 0 && S_ISREG(st.st_mode) ? read_file(log, NULL) : NULL;
		free(log);
		if (!text)
			continue;
		struct row *r = &rows[nrows++];
		r->id = rc->id;
		testsum_parse(text, &r->c);
		free(text);
		r->known = rc->known_count;
		r->known_text = rc->known_failures && *rc->known_failures ? rc->known_failures : NULL;
		double mtime = (double)st.st_mtim.tv_sec + st.st_mtim.tv_nsec / 1e9;
		/* the step started again after its tests ran (and did not reach them) */
		struct stamp sp;
		bool stale = stamp_read(workdir, rc->id, &sp) == 0 && sp.start > mtime;
		stamp_free(&sp);
		r->run = mtime >= started ? "this" : stale ? "stale" : "earlier";
		r->verdict = testsum_verdict(&r->c, r->known, rc->id);
		if (strlen(r->id) > width)
			width = strlen(r->id);
	}
	if (!nrows) {
		free(rows);
		return NULL;
	}
	struct buf b = {0};
	time_t now = time(NULL);
	char when[64];
	strftime(when, sizeof when, "%Y-%m-%d %H:%M:%S %z", localtime(&now));
	buf_printf(&b,
	           "# The test suites of %s (lfsbuild build --tests), written %s; see docs/engine.md.\n"
	           "# failed: every unexpected result (FAIL, ERROR, XPASS, unresolved, timeout); xfail: expected\n"
	           "# failures as the suite counts them; known: the book's count (the recipe's known-failures line).\n"
	           "# run: this = the tests ran in the build that wrote this file; earlier = in an earlier build of\n"
	           "# the step still installed; stale = the step ran again since and did not reach its tests.\n",
	           workdir, when);
	buf_printf(&b, "%-*s %8s %8s %8s %8s %8s  %-7s  %s\n", (int)width, "# step", "passed", "failed", "xfail", "skipped",
	           "known", "run", "verdict");
	long tp = 0, tf = 0, tx = 0, ts = 0, tk = 0;
	size_t nok = 0, nfail = 0, nexp = 0, nnone = 0;
	for (size_t k = 0; k < nrows; k++) {
		struct row *r = &rows[k];
		bool f = r->c.found;
		buf_printf(&b, "%-*s", (int)width, r->id);
		cell(&b, f, r->c.passed);
		cell(&b, f, testsum_unexpected(&r->c));
		cell(&b, f, r->c.xfail);
		cell(&b, f, r->c.skipped);
		cell(&b, r->known >= 0, r->known);
		buf_printf(&b, "  %-7s  %s", r->run, r->verdict);
		if (r->known_text && f && testsum_unexpected(&r->c) > 0)
			buf_printf(&b, " (the book expects: %s)", r->known_text);
		buf_puts(&b, "\n");
		if (f) {
			tp += r->c.passed, tf += testsum_unexpected(&r->c), tx += r->c.xfail, ts += r->c.skipped;
		}
		if (r->known > 0)
			tk += r->known;
		if (!f)
			nnone++;
		else if (!strcmp(r->verdict, "ok"))
			nok++;
		else if (!strcmp(r->verdict, "expected failures only"))
			nexp++;
		else
			nfail++;
		free(r->verdict);
	}
	char *sum = xasprintf("%zu test suite%s: %zu ok, %zu FAILED, %zu expected failures only, %zu no summary found",
	                      nrows, nrows == 1 ? "" : "s", nok, nfail, nexp, nnone);
	buf_printf(&b, "%-*s %8ld %8ld %8ld %8ld %8ld  %-7s  %s\n", (int)width, "total", tp, tf, tx, ts, tk, "-", sum);
	if (tally)
		*tally = sum;
	else
		free(sum);
	free(rows);
	return b.data;
}

char *testsum_after_build(const char *workdir, const struct recipe_set *set, double started, bool tests)
{
	char *path = testsum_summary_path(workdir);
	if (!tests && !path_exists(path)) {
		free(path);
		return NULL;
	}
	char *tally = NULL, *text = testsum_summary(workdir, set, started, &tally);
	char *note = NULL;
	if (!text) {
		if (tests)
			note = xstrdup("test summary: no test suite has run (no logs/tests/*.log of a step of the book)");
	} else {
		char *dir = xasprintf("%s/logs/tests", workdir);
		if (mkdir_p(dir, 0755) < 0 || write_file_atomic(path, text, strlen(text), 0644) < 0)
			warnx("cannot write the test summary %s: %s", path, strerror(errno));
		else if (tests)
			note = xasprintf("test summary: %s: %s", tally, path);
		free(dir);
	}
	free(tally);
	free(text);
	free(path);
	return note;
}
