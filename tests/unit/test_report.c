/* Unit tests of report: reading run.json, lanes, the Chrome trace, the SVG timeline, the
 * summary and the status lines, on a synthetic run of a handful of steps on 2 job slots. */
#include "unit.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "watch/report.h"

#define T0 1700000000.0

/* binutils [0,100] and gcc [100,400] follow each other on one slot; linux-headers [101,151]
 * and glibc [160,180] (failed) run beside gcc on the other; m4 has not run, excl is excluded. */
static const char run_json[] =
	"{\"version\":1, \"pid\":1, \"state\":\"failed\", \"command\":\"lfsbuild -C /w build -j2\",\n"
	" \"started\":1700000000.000, \"updated\":1700000400.000, \"jobs\":2, \"sbu\":100.0,\n"
	" \"total\":5, \"done\":3, \"skipped\":0, \"failed\":1, \"running\":0, \"steps\":[\n"
	"{\"id\":\"ch5/binutils-pass1\",\"title\":\"Binutils \\\"pass\\\" 1\",\"stage\":\"cross\",\"sbu_book\":1.00,"
	"\"status\":\"done\",\"reason\":\"new\",\"start\":1700000000.000,\"wall\":100.0,\"cpu\":150.0,"
	"\"maxrss_kib\":1000,\"exit\":0,\"log\":\"logs/ch5/binutils-pass1.log\"},\n"
	"{\"id\":\"ch5/gcc-pass1\",\"title\":\"GCC <pass 1> & co\",\"stage\":\"cross\",\"sbu_book\":3.20,"
	"\"status\":\"done\",\"reason\":\"new\",\"start\":1700000100.000,\"wall\":300.0,\"cpu\":500.0,"
	"\"maxrss_kib\":2000,\"exit\":0,\"log\":\"logs/ch5/gcc-pass1.log\"},\n"
	"{\"id\":\"ch5/linux-headers\",\"title\":\"Linux API headers\",\"stage\":\"cross\",\"sbu_book\":0.1,"
	"\"status\":\"done\",\"reason\":\"new\",\"start\":1700000101.000,\"wall\":50.0,\"cpu\":40.0,"
	"\"maxrss_kib\":300,\"exit\":0,\"log\":\"logs/ch5/linux-headers.log\"},\n"
	"{\"id\":\"ch5/glibc\",\"title\":\"Glibc\",\"stage\":\"cross\",\"sbu_book\":1.5,"
	"\"status\":\"failed\",\"reason\":\"new\",\"start\":1700000160.000,\"wall\":20.0,\"cpu\":10.0,"
	"\"maxrss_kib\":400,\"exit\":2,\"log\":\"logs/ch5/glibc.log\"},\n"
	"{\"id\":\"ch6/m4\",\"title\":\"M4\",\"stage\":\"temp\",\"sbu_book\":0.1,\"status\":\"blocked\","
	"\"reason\":\"new\",\"start\":null,\"wall\":null,\"cpu\":null,\"maxrss_kib\":null,\"exit\":null,"
	"\"log\":\"logs/ch6/m4.log\"},\n"
	"{\"id\":\"ch6/excl\",\"title\":\"Excl\",\"stage\":\"temp\",\"sbu_book\":0.1,\"status\":\"excluded\","
	"\"reason\":null,\"start\":null,\"wall\":null,\"cpu\":null,\"maxrss_kib\":null,\"exit\":null,"
	"\"log\":\"logs/ch6/excl.log\"}\n"
	"]}\n";

static void load(struct run_info *ri)
{
	char err[256] = "";
	int r = run_info_parse(run_json, ri, err, sizeof err);
	if (r != 0)
		fail_msg("parse: %s", err);
}

static char *capture(struct run_info *ri, int (*fn)(struct run_info *, double, FILE *))
{
	char *data = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&data, &len);
	assert_non_null(f);
	assert_int_equal(fn(ri, ri->updated, f), 0);
	fclose(f);
	return data;
}

static size_t count(const char *hay, const char *needle)
{
	size_t n = 0;
	for (const char *p = hay; (p = strstr(p, needle)); p += strlen(needle))
		n++;
	return n;
}

static void test_parse(void **state)
{
	(void)state;
	struct run_info ri;
	load(&ri);
	assert_int_equal(ri.n, 6);
	assert_int_equal(ri.jobs, 2);
	assert_string_equal(ri.state, "failed");
	assert_string_equal(ri.command, "lfsbuild -C /w build -j2");
	assert_true(ri.sbu > 99.9 && ri.sbu < 100.1);
	assert_string_equal(ri.steps[0].title, "Binutils \"pass\" 1");
	assert_int_equal(ri.steps[3].status, ST_FAILED);
	assert_int_equal(ri.steps[3].exit_code, 2);
	assert_true(ri.steps[3].has_wall);
	assert_int_equal(ri.steps[4].status, ST_BLOCKED);
	assert_false(ri.steps[4].has_wall);
	assert_int_equal(ri.steps[4].exit_code, -1);
	assert_int_equal(ri.steps[5].status, ST_EXCLUDED);
	assert_int_equal(run_info_find(&ri, "ch5/glibc"), 3);
	assert_int_equal(run_info_find(&ri, "nope"), -1);
	run_info_free(&ri);
}

static void test_parse_errors(void **state)
{
	(void)state;
	struct run_info ri;
	char err[256];
	assert_int_equal(run_info_parse("{\"version\":1,\"steps\":[", &ri, err, sizeof err), -1);
	assert_non_null(strstr(err, "line 1, column "));
	assert_int_equal(run_info_parse("{\"version\":2,\"steps\":[]}", &ri, err, sizeof err), -1);
	assert_non_null(strstr(err, "version 2"));
	assert_int_equal(run_info_parse("[1,2]", &ri, err, sizeof err), -1);
	assert_int_equal(run_info_parse("{\"version\":1,\"steps\":[{\"id\":\"a\\u00e9\"}]}", &ri, err, sizeof err), 0);
	assert_string_equal(ri.steps[0].id, "a\xc3\xa9");
	run_info_free(&ri);
}

static void test_lanes(void **state)
{
	(void)state;
	struct run_info ri;
	load(&ri);
	assert_int_equal(run_lanes(&ri, ri.updated), 2);
	assert_int_equal(ri.steps[0].lane, 0);
	assert_int_equal(ri.steps[1].lane, 0); /* starts as binutils ends: same slot */
	assert_int_equal(ri.steps[2].lane, 1);
	assert_int_equal(ri.steps[3].lane, 1); /* after linux-headers ended */
	assert_int_equal(ri.steps[4].lane, -1);
	/* a third step overlapping both takes a third lane */
	ri.steps[3].start = T0 + 120;
	assert_int_equal(run_lanes(&ri, ri.updated), 3);
	assert_int_equal(ri.steps[3].lane, 2);
	run_info_free(&ri);
}

static void test_trace(void **state)
{
	(void)state;
	struct run_info ri;
	load(&ri);
	char *t = capture(&ri, run_write_trace);
	assert_true(str_starts(t, "{\"displayTimeUnit\":\"ms\",\"traceEvents\":["));
	assert_int_equal(count(t, "\"ph\":\"X\""), 4);
	assert_int_equal(count(t, "\"name\":\"thread_name\""), 2);
	/* microseconds from the first start; tid = lane + 1 */
	assert_non_null(strstr(t, "{\"name\":\"ch5/gcc-pass1\",\"cat\":\"cross\",\"ph\":\"X\",\"ts\":100000000,"
	                          "\"dur\":300000000,\"pid\":1,\"tid\":1,"));
	assert_non_null(strstr(t, "{\"name\":\"ch5/linux-headers\",\"cat\":\"cross\",\"ph\":\"X\",\"ts\":101000000,"
	                          "\"dur\":50000000,\"pid\":1,\"tid\":2,"));
	assert_non_null(strstr(t, "\"status\":\"failed\""));
	assert_non_null(strstr(t, "\"title\":\"Binutils \\\"pass\\\" 1\""));
	/* it parses back with our own reader */
	struct run_info back;
	char err[128];
	assert_int_equal(run_info_parse(t, &back, err, sizeof err), -1); /* no "steps": but it is JSON */
	assert_non_null(strstr(err, "steps"));
	free(t);
	run_info_free(&ri);
}

static void test_svg(void **state)
{
	(void)state;
	struct run_info ri;
	load(&ri);
	char *s = capture(&ri, run_write_svg);
	assert_true(str_starts(s, "<?xml"));
	assert_non_null(strstr(s, "</svg>"));
	assert_int_equal(count(s, "<g class=\"lane\""), 2);
	assert_int_equal(count(s, "<g class=\"step\">"), 4);
	/* gcc's bar is wide: labelled; XML special characters escaped in the tooltip */
	assert_non_null(strstr(s, ">ch5/gcc-pass1</text>"));
	assert_non_null(strstr(s, "GCC &lt;pass 1&gt; &amp; co"));
	assert_null(strstr(s, "<pass 1>"));
	assert_non_null(strstr(s, "stroke=\"#d62728\" stroke-width=\"2\">")); /* the failed glibc */
	assert_non_null(strstr(s, ">cross</text>"));                          /* legend */
	assert_non_null(strstr(s, ">slot 2</text>"));
	assert_non_null(strstr(s, "class=\"axis\""));
	assert_null(strstr(s, "class=\"gap\""));
	free(s);
	/* two runs a day apart: the idle gap is shortened and marked */
	ri.steps[2].start += 86400;
	ri.steps[3].start += 86400;
	s = capture(&ri, run_write_svg);
	assert_int_equal(count(s, "class=\"gap\""), 1);
	assert_non_null(strstr(s, "idle 23h"));
	free(s);
	run_info_free(&ri);
}

static void test_summary(void **state)
{
	(void)state;
	struct run_info ri;
	load(&ri);
	char *data = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&data, &len);
	run_write_summary(&ri, ri.updated, f);
	fclose(f);
	/* wall 400 s (the union), CPU 700 s, 700 / (400 x 2) = 88% */
	assert_non_null(strstr(data, "wall:    6m40s with a step running"));
	assert_non_null(strstr(data, "CPU:     11m40s"));
	assert_non_null(strstr(data, "CPU use: 88% = CPU / (wall x 2 jobs)"));
	assert_non_null(strstr(data, "top 4 steps by wall time:"));
	const char *gcc = strstr(data, "1. ch5/gcc-pass1"), *bin = strstr(data, "2. ch5/binutils-pass1");
	assert_non_null(gcc);
	assert_non_null(bin);
	assert_non_null(strstr(data, "failed"));
	assert_non_null(strstr(data, "  cross                  4"));
	free(data);
	run_info_free(&ri);
}

static void test_status_lines(void **state)
{
	(void)state;
	struct run_info ri;
	load(&ri);
	/* make it a live run: glibc running for 60 s, m4 to do */
	ri.steps[3].status = ST_RUNNING;
	ri.steps[3].has_wall = false;
	ri.steps[4].status = ST_PENDING;
	double now = T0 + 220;
	struct strv lines = {0};
	run_status_lines(&ri, now, true, 0, false, 4, &lines);
	assert_int_equal(lines.n, 2);
	assert_non_null(strstr(lines.v[0], "3/5 steps"));
	assert_non_null(strstr(lines.v[0], "1 running"));
	/* glibc: 150 s - 60 s; m4: 10 s; in one stage each -> 90 + 10 = 1m40s */
	assert_non_null(strstr(lines.v[0], "ETA 1m40s  elapsed 3m40s  (1 SBU = 100s)"));
	assert_non_null(strstr(lines.v[1], "ch5/glibc"));
	assert_non_null(strstr(lines.v[1], "1m00s of ~2m30s"));
	strv_free(&lines);
	/* cut to the width, colours included */
	run_status_lines(&ri, now, true, 30, true, 4, &lines);
	for (size_t i = 0; i < lines.n; i++) {
		int cols = 0;
		for (const char *p = lines.v[i]; *p; p++) {
			if (*p == '\033') {
				while (*p && *p != 'm')
					p++;
				continue;
			}
			cols++;
		}
		assert_true(cols <= 30);
	}
	strv_free(&lines);
	/* no SBU measured yet: the ETA says it assumes one */
	ri.sbu = 0;
	run_status_lines(&ri, now, false, 0, false, 4, &lines);
	assert_non_null(strstr(lines.v[0], "still to build: ~"));
	assert_non_null(strstr(lines.v[0], "85s assumed until ch5/binutils-pass1"));
	strv_free(&lines);
	run_info_free(&ri);
}

static void test_eta_live_or_resumed(void **state)
{
	(void)state;
	struct run_info ri;
	load(&ri);
	bool assumed = true;
	/* the run failed: nothing more runs in it; resumed, glibc (150 s) then m4 (10 s, next stage) */
	assert_true(run_eta(&ri, ri.updated, true, &assumed) < 1e-6);
	assert_false(assumed);
	double e = run_eta(&ri, ri.updated, false, &assumed);
	assert_true(e > 159.9 && e < 160.1);
	run_info_free(&ri);
}

/* Without run.json: the stamps and logs/timings.tsv. */
static void test_load_without_json(void **state)
{
	(void)state;
	char dir[] = "/tmp/test_report.XXXXXX";
	assert_non_null(mkdtemp(dir));
	struct stamp st = {0};
	st.result = "ok";
	st.hash = "00";
	st.start = T0;
	st.wall = 10;
	st.cpu = 12;
	st.maxrss_kib = 5;
	st.exit_code = 0;
	assert_int_equal(stamp_write(dir, "ch5/a", &st), 0);
	st.result = "failed";
	st.start = T0 + 10;
	st.exit_code = 1;
	assert_int_equal(stamp_write(dir, "ch5/b", &st), 0);
	char *logs = xasprintf("%s/logs", dir);
	assert_int_equal(mkdir_p(logs, 0755), 0);
	char *tsv = xasprintf("%s/timings.tsv", logs);
	const char *text = "ch5/a\t1699990000\t5.00\t-\t5.00\t1\tdone\n"
	                   "ch4/old\t1699990000\t7.00\t-\t3.00\t1\tdone\n";
	assert_int_equal(write_file_atomic(tsv, text, strlen(text), 0644), 0);
	struct run_info ri;
	char err[256];
	assert_int_equal(run_info_load(dir, &ri, err, sizeof err), 0);
	assert_false(ri.from_json);
	assert_int_equal(ri.n, 3);
	/* sorted by start: ch4/old (from timings), ch5/a (the stamp wins over timings), ch5/b */
	assert_string_equal(ri.steps[0].id, "ch4/old");
	assert_string_equal(ri.steps[0].stage, "ch4");
	assert_string_equal(ri.steps[1].id, "ch5/a");
	assert_true(ri.steps[1].wall > 9.9);
	assert_int_equal(ri.steps[2].status, ST_FAILED);
	run_info_free(&ri);
	assert_int_equal(remove_tree(dir), 0);
	assert_int_equal(run_info_load(dir, &ri, err, sizeof err), -1);
	assert_non_null(strstr(err, "no build has run"));
	free(logs);
	free(tsv);
}

/* The number that the text printf("%.*f") writes reads back as. */
static double fixed(double v, int decimals)
{
	char text[64];
	snprintf(text, sizeof text, "%.*f", decimals, v);
	return strtod(text, NULL);
}

/* run.json as the build writes it (run_report_write) reads back with the figures of its text. */
static void test_written_reads_back(void **state)
{
	(void)state;
	char dir[] = "/tmp/test_report.XXXXXX";
	assert_non_null(mkdtemp(dir));
	/* ch5/a has phases (no test phase), the others none */
	struct phases ph = {.has = {true, true, false, true}, .wall = {1.5, 80.25, 0, 4.3505}, .cpu = {0.5, 140, 0, 10.25049}};
	struct step_report steps[3] = {
		{"ch5/a", "A \"quoted\" caf\xc3\xa9 \\ </>", "cross", 1.005, 0.996, ST_DONE, "new", T0 + 0.0004999, 86.1005,
		 150.25049, 1234, 0, &ph},
		{"ch5/b", "not \xff UTF-8", "cross", 3.2, 8.555, ST_RUNNING, "recipe changed", T0 + 90.5, 0, 0, 0, -1, NULL},
		{"ch6/c", NULL, "temp", 0.1, 0.1, ST_PENDING, NULL, 0, 0, 0, 0, -1, NULL},
	};
	struct run_report r = {4242, "running", "lfsbuild -C /w build -j2", T0 + 0.1234, T0 + 100.9876, 2, 86.1005, steps, 3};
	assert_int_equal(run_report_write(dir, &r), 0);
	struct run_info ri;
	char err[256] = "";
	if (run_info_load(dir, &ri, err, sizeof err) != 0)
		fail_msg("%s", err);
	assert_true(ri.from_json);
	assert_int_equal(ri.pid, 4242);
	assert_string_equal(ri.state, "running");
	assert_string_equal(ri.command, "lfsbuild -C /w build -j2");
	assert_true(ri.started == fixed(T0 + 0.1234, 3));
	assert_true(ri.updated == fixed(T0 + 100.9876, 3));
	assert_int_equal(ri.jobs, 2);
	assert_true(ri.sbu == fixed(86.1005, 3));
	assert_int_equal(ri.n, 3);
	const struct run_step *a = &ri.steps[0], *b = &ri.steps[1], *c = &ri.steps[2];
	assert_string_equal(a->id, "ch5/a");
	assert_string_equal(a->title, "A \"quoted\" caf\xc3\xa9 \\ </>");
	assert_string_equal(a->stage, "cross");
	assert_string_equal(a->reason, "new");
	assert_string_equal(a->log, "logs/ch5/a.log");
	assert_true(a->sbu_book == fixed(1.005, 2) && a->sbu_expect == fixed(0.996, 2));
	assert_int_equal(a->status, ST_DONE);
	assert_true(a->start == fixed(T0 + 0.0004999, 3));
	assert_true(a->has_wall && a->wall == fixed(86.1005, 3) && a->cpu == fixed(150.25049, 3));
	assert_int_equal(a->maxrss_kib, 1234);
	assert_int_equal(a->exit_code, 0);
	assert_true(a->phases.has[PHASE_UNPACK] && a->phases.has[PHASE_BUILD] && a->phases.has[PHASE_INSTALL]);
	assert_false(a->phases.has[PHASE_TEST]);
	assert_true(a->phases.wall[PHASE_BUILD] == fixed(80.25, 3) && a->phases.cpu[PHASE_BUILD] == fixed(140, 3));
	assert_true(a->phases.wall[PHASE_INSTALL] == fixed(4.3505, 3) && a->phases.cpu[PHASE_INSTALL] == fixed(10.25049, 3));
	assert_false(phases_any(&ri.steps[1].phases) || phases_any(&ri.steps[2].phases));
	assert_string_equal(b->title, "not ? UTF-8"); /* jansson takes UTF-8 only */
	assert_int_equal(b->status, ST_RUNNING);
	assert_true(b->start == fixed(T0 + 90.5, 3) && !b->has_wall);
	assert_true(b->sbu_expect == fixed(8.555, 2));
	assert_int_equal(b->maxrss_kib, -1);
	assert_int_equal(b->exit_code, -1);
	assert_null(c->title);
	assert_null(c->reason);
	assert_true(c->start == 0 && !c->has_wall);
	run_info_free(&ri);
	assert_int_equal(remove_tree(dir), 0);
}

/* The reader's errors say where. */
static void test_parse_error_position(void **state)
{
	(void)state;
	struct run_info ri;
	char err[256];
	assert_int_equal(run_info_parse("{\"version\":1,\n \"steps\":[}\n", &ri, err, sizeof err), -1);
	assert_non_null(strstr(err, "line 2, column "));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse),
		cmocka_unit_test(test_parse_errors),
		cmocka_unit_test(test_lanes),
		cmocka_unit_test(test_trace),
		cmocka_unit_test(test_svg),
		cmocka_unit_test(test_summary),
		cmocka_unit_test(test_status_lines),
		cmocka_unit_test(test_eta_live_or_resumed),
		cmocka_unit_test(test_load_without_json),
		cmocka_unit_test(test_written_reads_back),
		cmocka_unit_test(test_parse_error_position),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
