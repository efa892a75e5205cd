/* Unit tests of progress_tty: the frames written for a few events (into a memory stream: 80
 * columns), and a demo driver for tests/report/tty.sh, which runs it in tmux: with
 * TTY_DEMO_DIR set, this program plays a small build on stdout and waits for DIR/go1, go2, go3
 * between its phases, so that the test can look at the screen. */
#include "unit.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config/config.h"
#include "watch/progress.h"
#include "watch/progress_tty.h"
#include "state/state.h"

/* The plan of the demo build: 6 steps in 3 stages, with the book's SBU. */
static const struct progress_step demo_steps[] = {
	{.id = "ch4/prep", .title = "Preparations", .stage = "prep", .sbu_book = 0.1, .sbu_expect = 0.1},
	{.id = "ch5/binutils-pass1", .title = "Binutils-2.44 - Pass 1", .stage = "cross", .sbu_book = 1.0, .sbu_expect = 1.0},
	{.id = "ch5/linux-headers", .title = "Linux-6.13.4 API Headers", .stage = "cross", .sbu_book = 0.1,
	 .sbu_expect = 0.1},
	{.id = "ch5/gcc-pass1", .title = "GCC-14.2.0 - Pass 1", .stage = "cross", .sbu_book = 3.2, .sbu_expect = 3.2},
	{.id = "ch5/glibc-with-a-rather-long-step-name-to-cut",
	 .title = "Glibc-2.41 with a title long enough to be cut at the edge", .stage = "cross", .sbu_book = 1.5,
	 .sbu_expect = 1.5},
	{.id = "ch6/m4", .title = "M4-1.4.19", .stage = "temp", .sbu_book = 0.1, .sbu_expect = 0.1},
};

/* What the scheduler tells a display before the skip and run lines. */
static void give_plan(struct progress *p)
{
	struct progress_plan plan = {demo_steps, ARRAY_LEN(demo_steps), now_wall(), 2, 0};
	if (p->plan)
		p->plan(p, &plan);
}

/* A run.json of another content than the events: the display must not read it. */
static void write_other_run(const char *dir, enum step_status binutils)
{
	struct step_report steps[] = {
		{"ch9/a", "A", "other", 5, 5, ST_RUNNING, "new", now_wall(), 0, 0, 0, -1, NULL},
		{"ch5/binutils-pass1", "B", "other", 9, 9, binutils, "new", now_wall(), 0, 0, 0, -1, NULL},
	};
	struct run_report rr = {getpid(), "running", "lfsbuild -C demo build -j9", now_wall(), now_wall(), 9, 0,
	                        steps, ARRAY_LEN(steps)};
	if (run_report_write(dir, &rr) < 0)
		die("cannot write %s/state/run.json:", dir);
}

static bool has_run_json(const char *dir)
{
	char *path = xasprintf("%s/state/run.json", dir);
	bool has = path_exists(path);
	free(path);
	return has;
}

static struct progress_step pstep(const char *id, const char *title, double wall, double sbu, size_t done)
{
	return (struct progress_step){.id = id, .title = title, .reason = "new", .wall = wall, .sbu = sbu,
	                              .log = "logs/x.log", .done = done, .total = 6};
}

/* Wait for DIR/NAME, ticking the display about once a second. */
static void gate(struct progress *p, const char *dir, const char *name)
{
	char *path = xasprintf("%s/%s", dir, name);
	double last = now_mono();
	for (int i = 0; i < 600 && !path_exists(path); i++) {
		usleep(100000);
		if (now_mono() - last >= 1 && p->tick) {
			p->tick(p);
			last = now_mono();
		}
	}
	free(path);
}

static int demo(const char *dir)
{
	struct config cfg;
	config_init(&cfg);
	cfg.workdir = xstrdup(dir);
	cfg.jobs = 2;
	struct progress p;
	progress_auto_init(&p, stdout, &cfg);
	give_plan(&p);
	struct progress_step s = pstep("ch4/prep", "Preparations", 0, 0, 1);
	s.reason = "up to date";
	(p.skip)(&p, &s);
	for (size_t i = 1; i < ARRAY_LEN(demo_steps); i++) {
		s = pstep(demo_steps[i].id, demo_steps[i].title, 0, 0, 1);
		p.run(&p, &s);
	}
	s = pstep("ch5/binutils-pass1", NULL, 0, 0, 1);
	p.start(&p, &s);
	s = pstep("ch5/linux-headers", NULL, 0, 0, 1);
	p.start(&p, &s);
	gate(&p, dir, "go1");
	s = pstep("ch5/linux-headers", NULL, 1.2, 0, 2);
	p.done(&p, &s);
	s = pstep("ch5/binutils-pass1", NULL, 2.0, 2.0, 3);
	p.done(&p, &s);
	s = pstep("ch5/gcc-pass1", NULL, 0, 2.0, 3);
	p.start(&p, &s);
	s = pstep("ch5/glibc-with-a-rather-long-step-name-to-cut", NULL, 0, 2.0, 3);
	p.start(&p, &s);
	gate(&p, dir, "go2");
	s = pstep("ch5/glibc-with-a-rather-long-step-name-to-cut", NULL, 3.0, 2.0, 4);
	s.status = 2;
	s.log = "logs/ch5/glibc.log";
	(p.fail)(&p, &s);
	s = pstep("ch5/gcc-pass1", NULL, 6.4, 2.0, 4);
	p.done(&p, &s);
	p.note(&p, "demo: the build stops here");
	progress_end(&p);
	printf("DEMO END\n");
	fflush(stdout);
	gate(&p, dir, "go3");
	config_free(&cfg);
	return 0;
}

/* ---- unit tests ---- */

/* Visible columns of text (ANSI sequences take none). */
static int visible(const char *p, const char *end)
{
	int col = 0;
	for (; p < end; p++) {
		if (*p == '\033') {
			if (p + 1 < end && p[1] == '[') {
				p += 2;
				while (p < end && !(*p >= '@' && *p <= '~'))
					p++;
			}
			continue;
		}
		col++;
	}
	return col;
}

/* Every status area drawn (the rows after a frame's log line, joined by CR LF) fits in `max`
 * columns; returns how many rows were drawn in all. */
static int check_widths(const char *out, int max)
{
	int rows = 0;
	for (const char *f = strstr(out, "\033[?2026h"); f; f = strstr(f + 1, "\033[?2026h")) {
		const char *end = strstr(f, "\033[?2026l");
		assert_non_null(end);
		const char *area = f;
		for (const char *p = f; p < end; p++)
			if (*p == '\n' && p[-1] != '\r')
				area = p + 1;
		const char *erase = strstr(f, "\033[J");
		if (erase && erase < end && erase + 3 > area)
			area = erase + 3;
		while (area < end) {
			const char *nl = strstr(area, "\r\n");
			const char *row_end = nl && nl < end ? nl : end;
			assert_true(visible(area, row_end) <= max);
			rows++;
			area = row_end == end ? end : row_end + 2;
		}
	}
	return rows;
}

/* The frames, from the events alone: the work directory has no state/run.json. */
static void test_frames(void **state)
{
	(void)state;
	char dir[] = "/tmp/test_tty.XXXXXX";
	assert_non_null(mkdtemp(dir));
	char *data = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&data, &len);
	struct config cfg;
	config_init(&cfg);
	cfg.workdir = xstrdup(dir);
	cfg.jobs = 2;
	cfg.no_color = true;
	struct progress p;
	progress_tty_init(&p, f, &cfg);
	assert_non_null(p.tick);
	assert_non_null(p.plan);
	give_plan(&p);
	struct progress_step s = pstep("ch4/prep", NULL, 0, 0, 1);
	s.reason = "up to date";
	(p.skip)(&p, &s);
	s = pstep("ch5/binutils-pass1", NULL, 0, 0, 1);
	p.run(&p, &s);
	fflush(f);
	assert_non_null(strstr(data, "run   ch5/binutils-pass1 (new)\n"));
	assert_null(strstr(data, "steps")); /* nothing runs: no status area */
	p.start(&p, &s);
	s = pstep("ch5/glibc-with-a-rather-long-step-name-to-cut", NULL, 0, 0, 1);
	p.start(&p, &s);
	fflush(f);
	size_t mark = len;
	/* the status area: counts (from the plan: 6 steps, prep up to date), two running steps */
	assert_non_null(strstr(data, "1/6 steps  2 running"));
	/* the ETA from the plan's stages and SBU (85 s assumed, 2 jobs): the cross stage takes its
	 * longest step, gcc-pass1's 3.2 x 85 s, then m4 8.5 s */
	assert_non_null(strstr(data, "ETA ~4m40s"));
	assert_non_null(strstr(data, "  ch5/glibc-with-a-rather-long-step-name-to-cut"));
	/* a running row: the title and the SBU from the plan (the events carry no title here) */
	assert_non_null(strstr(data, " of ~1m25s  (1.0 SBU, Binutils-2.44"));
	assert_false(has_run_json(dir));
	p.tick(&p);
	fflush(f);
	assert_int_equal(len, mark); /* ticks redraw at most once a second */
	usleep(1000000);
	p.tick(&p);
	fflush(f);
	/* a tick erases the 3 rows (up 2) and draws them again, in one synchronized update */
	assert_true(str_starts(data + mark, "\033[?2026h\r\033[2A\033[J["));
	assert_true(str_ends(data, "\033[?2026l"));
	s = pstep("ch5/binutils-pass1", NULL, 2.0, 2.0, 2);
	p.done(&p, &s);
	fflush(f);
	/* the measured SBU (2 s) replaces the assumption (no ~): gcc-pass1 3.2 x 2 s, then m4 0.2 s */
	assert_non_null(strstr(data + mark, "2/6 steps  1 running  ETA 6.6s"));
	s = pstep("ch5/glibc-with-a-rather-long-step-name-to-cut", NULL, 1.0, 2.0, 2);
	s.status = 2;
	(p.fail)(&p, &s);
	fflush(f);
	assert_non_null(strstr(data, "done  ch5/binutils-pass1 2.0s (1.0 SBU) [2/6]\n"));
	assert_non_null(strstr(data, "FAIL  ch5/glibc-with-a-rather-long-step-name-to-cut exit 2 after 1.0s (log: logs/x.log)\n"));
	/* nothing runs any more: the last frame erased the area (1 row) and drew none */
	assert_true(str_ends(data, "\r\033[J[") == false);
	const char *last = strrchr(data, '\033');
	assert_true(str_starts(last, "\033[?2026l"));
	assert_null(strstr(strstr(data, "FAIL  ch5/glibc"), "steps"));
	assert_true(check_widths(data, 79) >= 6);
	assert_null(strstr(data, "\033[3")); /* no colours with no_color */
	assert_false(has_run_json(dir));
	progress_end(&p);
	assert_null(p.data);
	progress_end(&p); /* twice: nothing */
	fclose(f);
	free(data);
	config_free(&cfg);
	assert_int_equal(remove_tree(dir), 0);
}

/* SIGINT: the build tells the display which running steps it ended. Without a plan (events
 * only) the area counts the steps the events named. A run.json on disk changes nothing. */
static void test_interrupted(void **state)
{
	(void)state;
	char dir[] = "/tmp/test_tty.XXXXXX";
	assert_non_null(mkdtemp(dir));
	write_other_run(dir, ST_RUNNING);
	char *data = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&data, &len);
	struct config cfg;
	config_init(&cfg);
	cfg.workdir = xstrdup(dir);
	cfg.no_color = true;
	struct progress p;
	progress_tty_init(&p, f, &cfg);
	struct progress_step s = pstep("ch5/binutils-pass1", NULL, 0, 0, 1);
	p.start(&p, &s);
	fflush(f);
	assert_non_null(strstr(data, "0/1 steps  1 running"));
	write_other_run(dir, ST_INTERRUPTED); /* what the build would write: not read */
	usleep(1000000);
	p.tick(&p);
	fflush(f);
	assert_null(strstr(data, "INTR"));
	assert_null(strstr(data, "ch9/a"));
	assert_null(strstr(data, "2 running"));
	assert_non_null(p.interrupted);
	p.interrupted(&p, &s);
	fflush(f);
	const char *intr = strstr(data, "INTR  ch5/binutils-pass1 after ");
	assert_non_null(intr);
	assert_null(strstr(intr, "running")); /* the area is gone, at once */
	assert_true(str_ends(data, "\033[?2026l"));
	size_t mark = len;
	p.interrupted(&p, &s); /* twice: nothing */
	fflush(f);
	assert_int_equal(len, mark);
	progress_end(&p);
	fclose(f);
	free(data);
	config_free(&cfg);
	assert_int_equal(remove_tree(dir), 0);
}

static void test_auto_picks_plain_off_a_tty(void **state)
{
	(void)state;
	FILE *f = tmpfile();
	struct config cfg;
	config_init(&cfg);
	cfg.workdir = xstrdup("/nonexistent");
	struct progress p;
	progress_auto_init(&p, f, &cfg);
	assert_null(p.tick);
	assert_null(p.plan);
	assert_null(p.interrupted);
	assert_null(p.data);
	struct progress_step s = pstep("ch5/a", NULL, 0, 0, 1);
	p.start(&p, &s);
	progress_end(&p); /* plain: nothing to do */
	fflush(f);
	rewind(f);
	char line[128] = "";
	assert_non_null(fgets(line, sizeof line, f));
	assert_non_null(strstr(line, "] start ch5/a\n"));
	fclose(f);
	config_free(&cfg);
}

int main(void)
{
	const char *dir = getenv("TTY_DEMO_DIR");
	if (dir && *dir)
		return demo(dir);
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_frames),
		cmocka_unit_test(test_interrupted),
		cmocka_unit_test(test_auto_picks_plain_off_a_tty),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
