/* Unit tests of testsum: the summaries of the test suites of LFS chapter 8, as their tools
 * print them, and the verdicts; the `known-failures` recipe key and the stamp's hash. */
#include "unit.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "book/recipe.h"
#include "engine/testsum.h"
#include "lib/util.h"

#define COUNTS(c, p, f, xf, xp, s, e)                                                                          \
	do {                                                                                                     \
		assert_true((c).found);                                                                              \
		assert_int_equal((c).passed, p);                                                                     \
		assert_int_equal((c).failed, f);                                                                     \
		assert_int_equal((c).xfail, xf);                                                                     \
		assert_int_equal((c).xpass, xp);                                                                     \
		assert_int_equal((c).skipped, s);                                                                    \
		assert_int_equal((c).errors, e);                                                                     \
	} while (0)

/* automake's parallel harness: two directories (as gettext prints), a block in colour, and the
 * copy at the top of a test-suite.log that a recipe printed (not counted twice). */
static void test_automake(void **state)
{
	(void)state;
	const char *log =
		"make[3]: Entering directory '/build/ch8_gettext/gettext-0.24/gettext-runtime/tests'\n"
		"PASS: test-lock\n"
		"FAIL: test-setlocale2.sh\n"
		"XFAIL: test-bad\n"
		"============================================================================\n"
		"Testsuite summary for gettext-runtime 0.24\n"
		"============================================================================\n"
		"# TOTAL: 120\n"
		"# PASS:  100\n"
		"# SKIP:  16\n"
		"# XFAIL: 1\n"
		"# FAIL:  1\n"
		"# XPASS: 0\n"
		"# ERROR: 2\n"
		"============================================================================\n"
		"See gettext-runtime/tests/test-suite.log\n"
		"Please report to bug-gettext@gnu.org\n"
		"============================================================================\n"
		"make[3]: Leaving directory '/build/ch8_gettext/gettext-0.24/gettext-runtime/tests'\n"
		"============================================================================\n"
		"Testsuite summary for gettext-tools 0.24\n"
		"============================================================================\n"
		"\033[1m# TOTAL: 50\033[m\n"
		"\033[0;32m# PASS:  48\033[m\n"
		"# SKIP:  1\r\n"
		"# XFAIL: 0\n"
		"# FAIL:  0\n"
		"\033[0;32m# XPASS: 1\033[m\n"
		"# ERROR: 0\n"
		"============================================================================\n"
		"=================================================\n"
		"   gettext-runtime 0.24: gettext-runtime/tests/test-suite.log\n"
		"=================================================\n"
		"\n"
		"# TOTAL: 120\n"
		"# PASS:  100\n"
		"# SKIP:  16\n"
		"# XFAIL: 1\n"
		"# FAIL:  1\n"
		"# XPASS: 0\n"
		"# ERROR: 2\n"
		"\n"
		".. contents:: :depth: 2\n"
		"FAIL: test-setlocale2.sh\n";
	struct test_counts c;
	testsum_parse(log, &c);
	COUNTS(c, 148, 1, 1, 1, 17, 2);
	assert_string_equal(c.formats, "automake");
	assert_int_equal(testsum_unexpected(&c), 4);
	assert_int_equal(c.exit_status, -1);
}

/* DejaGnu: binutils' tools add up; gcc's partitions add up, and contrib/test_summary's
 * restatement of their sum (grep -A7: cut short) is not counted again. */
static void test_dejagnu(void **state)
{
	(void)state;
	const char *binutils =
		"Test run by tester on Mon Mar  3 10:00:00 2025\n"
		"Native configuration is x86_64-pc-linux-gnu\n"
		"\n"
		"\t\t=== gas tests ===\n"
		"\n"
		"Schedule of variations:\n"
		"    unix\n"
		"\n"
		"\t\t=== gas Summary ===\n"
		"\n"
		"# of expected passes\t\t1502\n"
		"# of expected failures\t\t3\n"
		"# of unsupported tests\t\t12\n"
		"../as-new 2.44\n"
		"\n"
		"\t\t=== ld Summary ===\n"
		"\n"
		"# of expected passes\t\t3010\n"
		"# of unexpected failures\t2\n"
		"# of expected failures\t\t50\n"
		"# of unresolved testcases\t1\n"
		"# of untested testcases\t\t1\n"
		"# of unsupported tests\t\t180\n"
		"./ld-new 2.44\n";
	struct test_counts c;
	testsum_parse(binutils, &c);
	COUNTS(c, 4512, 2, 53, 0, 193, 1);
	assert_string_equal(c.formats, "dejagnu");

	const char *gcc =
		"\t\t=== gcc Summary ===\n"
		"\n"
		"# of expected passes\t\t100000\n"
		"# of unexpected failures\t10\n"
		"# of expected failures\t\t500\n"
		"# of unsupported tests\t\t2000\n"
		"/build/gcc/xgcc  version 14.2.0 (GCC)\n"
		"\n"
		"\t\t=== gcc Summary ===\n"
		"\n"
		"# of expected passes\t\t80000\n"
		"# of unexpected failures\t5\n"
		"# of unexpected successes\t2\n"
		"# of expected failures\t\t300\n"
		"# of unsupported tests\t\t1000\n"
		"/build/gcc/xgcc  version 14.2.0 (GCC)\n"
		"\n"
		"\t\t=== g++ Summary ===\n"
		"\n"
		"# of expected passes\t\t250000\n"
		"# of unexpected failures\t3\n"
		"# of expected failures\t\t2000\n"
		"# of unsupported tests\t\t10000\n"
		"make[1]: Leaving directory '/build/ch8_gcc/build'\n"
		/* ../contrib/test_summary | grep -A7 Summ */
		"\t\t=== gcc Summary ===\n"
		"\n"
		"# of expected passes\t\t180000\n"
		"# of unexpected failures\t15\n"
		"# of unexpected successes\t2\n"
		"# of expected failures\t\t800\n"
		"# of unsupported tests\t\t3000\n"
		"--\n"
		"\t\t=== g++ Summary ===\n"
		"\n"
		"# of expected passes\t\t250000\n"
		"# of unexpected failures\t3\n"
		"# of expected failures\t\t2000\n"
		"# of unsupported tests\t\t10000\n";
	testsum_parse(gcc, &c);
	COUNTS(c, 430000, 18, 2800, 2, 13000, 0);
}

/* autotest (bison, m4, tar, autoconf): each result of general.m4. */
static void test_autotest(void **state)
{
	(void)state;
	struct test_counts c;
	testsum_parse("## ------------- ##\n## Test results. ##\n## ------------- ##\n\n"
	              "All 722 tests were successful.\n", &c);
	COUNTS(c, 722, 0, 0, 0, 0, 0);
	assert_string_equal(c.formats, "autotest");

	testsum_parse("## Test results. ##\n\n258 tests were successful.\n12 tests were skipped.\n", &c);
	COUNTS(c, 258, 0, 0, 0, 12, 0);

	testsum_parse("  1: GNU tar version                             ok\n"
	              " 14: sparse files                                expected failure (sparse01.at:21)\n"
	              " 15: sparse files 2                              expected failure\n"
	              "## Test results. ##\n\nAll 300 tests behaved as expected.\n1 test was skipped.\n", &c);
	COUNTS(c, 298, 0, 2, 0, 1, 0);

	testsum_parse("## Test results. ##\n\nERROR: 700 tests were run,\n4 failed (1 expected failure).\n"
	              "22 tests were skipped.\n## ------------------------ ##\n## Summary of the failures. ##\n"
	              "Failed tests:\nGNU Bison 3.8.2 test suite test groups:\n", &c);
	COUNTS(c, 696, 3, 1, 0, 22, 0);

	testsum_parse("ERROR: All 100 tests were run,\n2 failed unexpectedly.\n", &c);
	COUNTS(c, 98, 2, 0, 0, 0, 0);

	testsum_parse("ERROR: 100 tests were run,\n3 did not behave as expected (2 unexpected failures).\n", &c);
	COUNTS(c, 97, 2, 0, 1, 0, 0);

	testsum_parse("ERROR: 100 tests were run,\n1 passed unexpectedly,\n5 failed (4 expected failures).\n", &c);
	COUNTS(c, 94, 1, 4, 1, 0, 0);
}

/* glibc: the failures, then the uniq -c of the results. */
static void test_glibc(void **state)
{
	(void)state;
	const char *log =
		"make[1]: Leaving directory '/build/ch8_glibc/glibc-2.41'\n"
		"FAIL: io/tst-lchmod\n"
		"FAIL: nss/tst-nss-files-hosts-multi\n"
		"UNSUPPORTED: elf/tst-audit22\n"
		"Summary of test results:\n"
		"      2 FAIL\n"
		"   5843 PASS\n"
		"    274 UNSUPPORTED\n"
		"     16 XFAIL\n"
		"      1 XPASS\n"
		"make[1]: *** [Makefile:689: tests] Error 1\n"
		"lfsbuild: the tests exited with status 2\n";
	struct test_counts c;
	testsum_parse(log, &c);
	COUNTS(c, 5843, 2, 16, 1, 274, 0);
	assert_string_equal(c.formats, "glibc");
	assert_int_equal(c.exit_status, 2);
}

/* Perl's TAP harness: perl's make test_harness, openssl's make test. */
static void test_perl(void **state)
{
	(void)state;
	struct test_counts c;
	testsum_parse("../lib/warnings.t ................................. ok\n"
	              "All tests successful.\n"
	              "Elapsed: 1234 sec\n"
	              "u=12.00  s=4.00  cu=900.00  cs=80.00  scripts=2700  tests=1199321\n"
	              "Files=2700, Tests=1199321, 1234 wallclock secs ( 12.0 usr  4.0 sys + 900.0 cusr 80.0 csys = 996.0 CPU)\n"
	              "Result: PASS\n", &c);
	COUNTS(c, 1199321, 0, 0, 0, 0, 0);
	assert_string_equal(c.formats, "perl");

	testsum_parse("Test Summary Report\n"
	              "-------------------\n"
	              "30-test_afalg.t                    (Wstat: 256 (exited 1) Tests: 4 Failed: 1)\n"
	              "  Failed test:  3\n"
	              "  Non-zero exit status: 1\n"
	              "80-test_ssl_new.t                  (Wstat: 512 (exited 2) Tests: 30 Failed: 2)\n"
	              "  Failed tests:  12, 17\n"
	              "90-test_store.t                    (Wstat: 9 (Signal: KILL) Tests: 10 Failed: 0)\n"
	              "  Non-zero wait status: 9\n"
	              "  Parse errors: Bad plan.  You planned 12 tests but ran 10.\n"
	              "Files=320, Tests=3300, 600 wallclock secs ( 5.00 usr  1.00 sys + 400.00 cusr 90.00 csys = 496.00 CPU)\n"
	              "Result: FAIL\n", &c);
	COUNTS(c, 3297, 3, 0, 0, 0, 1);

	testsum_parse("Failed 2/2694 test programs. 3/1196740 subtests failed.\n", &c);
	COUNTS(c, 1196737, 3, 0, 0, 0, 0);
}

/* Python's regrtest. */
static void test_python(void **state)
{
	(void)state;
	struct test_counts c;
	testsum_parse("0:04:10 load avg: 1.90 [485/485] test_zipimport passed\n"
	              "\n"
	              "== Tests result: FAILURE ==\n"
	              "\n"
	              "22 tests skipped:\n"
	              "    test_devpoll test_gdb test_ioctl test_kqueue test_launcher\n"
	              "\n"
	              "1 test failed:\n"
	              "    test_ssl\n"
	              "\n"
	              "462 tests OK.\n"
	              "\n"
	              "Total duration: 4 min 10 sec\n"
	              "Total tests: run=44,123 failures=3 skipped=1,823\n"
	              "Total test files: run=485/485 failed=1 skipped=22\n"
	              "Result: FAILURE\n", &c);
	COUNTS(c, 462, 1, 0, 0, 22, 0);
	assert_string_equal(c.formats, "python");

	testsum_parse("== Tests result: SUCCESS ==\n\nAll 463 tests OK.\n\nResult: SUCCESS\n", &c);
	COUNTS(c, 463, 0, 0, 0, 0, 0);
}

/* meson test (systemd, dbus: ninja test). */
static void test_meson(void **state)
{
	(void)state;
	struct test_counts c;
	testsum_parse("1234/1236 systemd:core / test-execute   OK   60.01s\n"
	              "\n"
	              "Summary of Failures:\n"
	              "\n"
	              " 512/1236 systemd / test-fs-util          FAIL    0.20s   exit status 1\n"
	              "\n"
	              "Ok:                 1180\n"
	              "Expected Fail:      2   \n"
	              "Fail:               1   \n"
	              "Unexpected Pass:    0   \n"
	              "Skipped:            52  \n"
	              "Timeout:            1   \n"
	              "\n"
	              "Full log written to /build/ch8_systemd/systemd-257.3/build/meson-logs/testlog.txt\n", &c);
	COUNTS(c, 1180, 1, 2, 0, 52, 1);
	assert_string_equal(c.formats, "meson");
}

/* check, cmocka, tcltest (tcl and expect). */
static void test_check_cmocka_tcl(void **state)
{
	(void)state;
	struct test_counts c;
	testsum_parse("Running suite(s): Money\n100%: Checks: 12, Failures: 0, Errors: 0\n"
	              "Running suite(s): Strings\n83%: Checks: 6, Failures: 1, Errors: 0\n"
	              "check_str.c:12:F:Core:test_up:0: Assertion 'x' failed\n", &c);
	COUNTS(c, 17, 1, 0, 0, 0, 0);
	assert_string_equal(c.formats, "check");

	testsum_parse("[==========] Running 5 test(s).\n[ RUN      ] test_a\n[       OK ] test_a\n"
	              "[==========] 5 test(s) run.\n[  PASSED  ] 3 test(s).\n[  SKIPPED ] 1 test(s), listed below:\n"
	              "[  SKIPPED ] test_c\n[  FAILED  ] 1 test(s), listed below:\n[  FAILED  ] test_d\n\n 1 FAILED TEST(S)\n",
	              &c);
	COUNTS(c, 3, 1, 0, 0, 1, 0);
	assert_string_equal(c.formats, "cmocka");

	testsum_parse("io.test\nio.test:\tTotal\t500\tPassed\t480\tSkipped\t19\tFailed\t1\n"
	              "all.tcl:\tTotal\t31843\tPassed\t30149\tSkipped\t1659\tFailed\t35\n"
	              "Sourced 160 Test Files.\nFiles with failing tests: io.test\n", &c);
	COUNTS(c, 30149, 35, 0, 0, 1659, 0);
	assert_string_equal(c.formats, "tcltest");
}

/* The summaries of e2fsprogs (tests/test_post), util-linux (tests/run.sh), vim (summarize.vim). */
static void test_own_formats(void **state)
{
	(void)state;
	struct test_counts c;
	testsum_parse("m_rootdir_acl: create fs image from dir, then minimize it: failed\n"
	              "383 tests succeeded\t2 tests failed\n"
	              "Tests failed: m_assume_storage_prezeroed m_rootdir_acl \n", &c);
	COUNTS(c, 383, 2, 0, 0, 0, 0);
	assert_string_equal(c.formats, "e2fsprogs");

	testsum_parse("        lsfd: SOURCE column                  ... FAILED (lsfd/column-source)\n"
	              "---------------------------------------------------------------------\n"
	              "  2 tests of 293 FAILED\n\n      lsfd/column-source\n      utmp/last\n"
	              "---------------------------------------------------------------------\n", &c);
	COUNTS(c, 291, 2, 0, 0, 0, 0);
	assert_string_equal(c.formats, "util-linux");
	testsum_parse("---------------------------------------------------------------------\n"
	              "  All 293 tests PASSED\n", &c);
	COUNTS(c, 293, 0, 0, 0, 0, 0);

	testsum_parse("make[2]: Entering directory '/build/ch8_gawk/gawk-5.3.2/test'\nALL TESTS PASSED\n", &c);
	COUNTS(c, 0, 0, 0, 0, 0, 0);
	assert_string_equal(c.formats, "gawk");
	testsum_parse("2 TESTS FAILED\n", &c);
	COUNTS(c, 0, 2, 0, 0, 0, 0);

	testsum_parse("features/archives ........................................ ok     (12 passed)\n\n"
	              "1364 Tests in 131 Categories Complete ... No Failures :-)\n\n", &c);
	COUNTS(c, 1364, 0, 0, 0, 0, 0);
	assert_string_equal(c.formats, "make");
	testsum_parse("\n1 Test in 1 Category Failed (See .diff* files in work dir for details) :-(\n\n", &c);
	COUNTS(c, 0, 1, 0, 0, 0, 0);

	testsum_parse("Skipped:\n\tSkipped: test_gui.vim: no GUI\n\n-------------------------------\n"
	              "Executed:  5120 Tests\n Skipped:    62 Tests\n  FAILED:     1 Tests\n\n\nFailures: \n"
	              "\tFrom test_terminal.vim:\n\tFound errors in Test_terminal_shell_option():\n", &c);
	COUNTS(c, 5119, 1, 0, 0, 62, 0);
	assert_string_equal(c.formats, "vim");
	testsum_parse("Executed:  5120 Tests\n Skipped:    62 Tests\n  Failed:     0 Tests\n\nALL DONE\n", &c);
	COUNTS(c, 5120, 0, 0, 0, 62, 0);
}

/* Logs in no known format: no summary, no guess from single lines. */
static void test_unknown(void **state)
{
	(void)state;
	struct test_counts c;
	testsum_parse("", &c);
	assert_false(c.found);
	testsum_parse("cd Test; ./timetest\nPASS: all good\nFAIL: one\n1 of 3 tests passed\n"
	              "Executed:  4939 Tests\n  FAILED:     2 Tests\nALL DONE\n"
	              "lfsbuild: the tests exited with status 1\n", &c);
	assert_false(c.found);
	assert_int_equal(c.passed + c.failed + c.skipped + c.errors, 0);
	assert_int_equal(c.exit_status, 1);
	assert_string_equal(c.formats, "");
	char *v = testsum_verdict(&c, 3, "ch8/vim");
	assert_string_equal(v, "no summary found: see logs/tests/ch8/vim.log");
	free(v);
}

/* Several formats in one log add up (a recipe that runs two suites). */
static void test_mixed(void **state)
{
	(void)state;
	struct test_counts c;
	testsum_parse("# TOTAL: 3\n# PASS:  3\n# FAIL:  0\n\n\t\t=== expect Summary ===\n\n"
	              "# of expected passes\t\t10\n# of unexpected failures\t1\n", &c);
	COUNTS(c, 13, 1, 0, 0, 0, 0);
	assert_string_equal(c.formats, "automake dejagnu");
}

static void test_verdicts(void **state)
{
	(void)state;
	struct test_counts c;
	char *v;
	testsum_parse("# TOTAL: 10\n# PASS:  8\n# XFAIL: 2\n# FAIL:  0\n", &c);
	v = testsum_verdict(&c, -1, "ch8/x");
	assert_string_equal(v, "ok");
	free(v);
	/* passed and xfail only, but the suite exited 2: say so rather than "ok" */
	testsum_parse("# TOTAL: 10\n# PASS:  10\nlfsbuild: the tests exited with status 2\n", &c);
	v = testsum_verdict(&c, -1, "ch8/x");
	assert_string_equal(v, "FAILED: exit status 2 with no failed test counted: see logs/tests/ch8/x.log");
	free(v);
	testsum_parse("Summary of test results:\n      2 FAIL\n   5000 PASS\n", &c);
	v = testsum_verdict(&c, 2, "ch8/glibc");
	assert_string_equal(v, "expected failures only");
	free(v);
	v = testsum_verdict(&c, 1, "ch8/glibc");
	assert_string_equal(v, "FAILED: 1 unexpected");
	free(v);
	v = testsum_verdict(&c, -1, "ch8/glibc");
	assert_string_equal(v, "FAILED: 2 unexpected");
	free(v);
	/* an unexpected pass and an error count as unexpected results */
	testsum_parse("# TOTAL: 4\n# PASS:  2\n# XPASS: 1\n# ERROR: 1\n", &c);
	v = testsum_verdict(&c, 0, "ch8/x");
	assert_string_equal(v, "FAILED: 2 unexpected");
	free(v);
}

/* `known-failures [COUNT] TEXT`: parsed, and left out of the stamp's hash like `disk`. */
static void test_known_failures_key(void **state)
{
	(void)state;
	struct recipe_set set = {0};
	set.stages = xcalloc(1, sizeof *set.stages);
	set.stages[0].name = xstrdup("system");
	set.nstages = 1;
	const char *plain = "title Glibc-2.41\nstage system\n\n%build\nmake\n%test\nmake check\n";
	const char *known = "title Glibc-2.41\nstage system\n"
	                    "known-failures 2 io/tst-lchmod; nss/tst-nss-files-hosts-multi (timeouts)\n\n"
	                    "%build\nmake\n%test\nmake check\n";
	const char *other = "title Glibc-2.41\nstage system\n  known-failures\t5 anything else\n\n"
	                    "%build\nmake\n%test\nmake check\n";
	struct recipe a, b, d;
	struct buf err = {0};
	assert_int_equal(recipe_parse(&set, "a.recipe", "ch8/glibc", plain, &a, &err), 0);
	assert_int_equal(recipe_parse(&set, "b.recipe", "ch8/glibc", known, &b, &err), 0);
	assert_int_equal(recipe_parse(&set, "d.recipe", "ch8/glibc", other, &d, &err), 0);
	assert_null(err.data);
	assert_int_equal(a.known_count, -1);
	assert_null(a.known_failures);
	assert_int_equal(b.known_count, 2);
	assert_string_equal(b.known_failures, "io/tst-lchmod; nss/tst-nss-files-hosts-multi (timeouts)");
	assert_int_equal(b.known_line, 3);
	assert_int_equal(d.known_count, 5);
	assert_string_equal(b.hashed, a.hashed);
	assert_string_equal(d.hashed, a.hashed);
	recipe_free(&a);
	recipe_free(&b);
	recipe_free(&d);
	/* text only; the same words in %build stay hashed */
	assert_int_equal(recipe_parse(&set, "e.recipe", "ch8/x", "title x\nstage system\nknown-failures test-a\n%build\n"
	                              "known-failures 1 x\n", &a, &err), 0);
	assert_int_equal(a.known_count, -1);
	assert_string_equal(a.known_failures, "test-a");
	assert_non_null(strstr(a.hashed, "known-failures 1 x"));
	assert_null(strstr(a.hashed, "test-a"));
	recipe_free(&a);
	/* errors: given twice, a count that is no count */
	assert_int_equal(recipe_parse(&set, "f.recipe", "ch8/x", "title x\nstage system\nknown-failures 1 a\n"
	                              "known-failures 2 b\nknown-failures\n%build\n", &a, &err), -1);
	assert_non_null(strstr(err.data, "f.recipe:4: known-failures is given twice (first on line 3)"));
	assert_non_null(strstr(err.data, "f.recipe:5: 'known-failures' wants a value"));
	recipe_free(&a);
	buf_free(&err);
	recipe_set_free(&set);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_automake),
		cmocka_unit_test(test_dejagnu),
		cmocka_unit_test(test_autotest),
		cmocka_unit_test(test_glibc),
		cmocka_unit_test(test_perl),
		cmocka_unit_test(test_python),
		cmocka_unit_test(test_meson),
		cmocka_unit_test(test_check_cmocka_tcl),
		cmocka_unit_test(test_own_formats),
		cmocka_unit_test(test_unknown),
		cmocka_unit_test(test_mixed),
		cmocka_unit_test(test_verdicts),
		cmocka_unit_test(test_known_failures_key),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
