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

static struct step_report demo_steps[] = {
	{"ch4/prep", "Preparations", "prep", 0.1, 0.1, ST_SKIPPED, "up to date", 0, 0, 0, 0, -1},
	{"ch5/binutils-pass1", "Binutils-2.44 - Pass 1", "cross", 1.0, 1.0, ST_PENDING, "new", 0, 0, 0, 0, -1},
	{"ch5/linux-headers", "Linux-6.13.4 API Headers", "cross", 0.1, 0.1, ST_PENDING, "new", 0, 0, 0, 0, -1},
	{"ch5/gcc-pass1", "GCC-14.2.0 - Pass 1", "cross", 3.2, 3.2, ST_PENDING, "new", 0, 0, 0, 0, -1},
	{"ch5/glibc-with-a-rather-long-step-name-to-cut", "Glibc-2.41 with a title long enough to be cut at the edge",
	 "cross", 1.5, 1.5, ST_PENDING, "new", 0, 0, 0, 0, -1},
	{"ch6/m4", "M4-1.4.19", "temp", 0.1, 0.1, ST_PENDING, "new", 0, 0, 0, 0, -1},
};

static void write_demo_run(const char *dir)
{
	struct run_report rr = {getpid(), "running", "lfsbuild -C demo build -j2", now_wall(), now_wall(), 2, 0,
	                        demo_steps, ARRAY_LEN(demo_steps)};
	if (run_report_write(dir, &rr) < 0)
		die("cannot write %s/state/run.json:", dir);
}

static struct progress_step pstep(const char *id, const char *title, double wall, double sbu, size_t done)
{
	struct progress_step s = {id, title, "new", wall, sbu, 0, "logs/x.log", done, 6, 0};
	return s;
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
	write_demo_run(dir);
	struct progress p;
	progress_auto_init(&p, stdout, &cfg);
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

static void test_frames(void **state)
{
	(void)state;
	char dir[] = "/tmp/test_tty.XXXXXX";
	assert_non_null(mkdtemp(dir));
	write_demo_run(dir);
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
	struct progress_step s = pstep("ch5/binutils-pass1", NULL, 0, 0, 1);
	p.run(&p, &s);
	fflush(f);
	assert_non_null(strstr(data, "run   ch5/binutils-pass1 (new)\n"));
	assert_null(strstr(data, "steps")); /* nothing runs: no status area */
	p.start(&p, &s);
	s = pstep("ch5/glibc-with-a-rather-long-step-name-to-cut", NULL, 0, 0, 1);
	p.start(&p, &s);
	fflush(f);
	size_t mark = len;
	/* the status area: counts (from run.json: 6 steps, prep up to date), two running steps */
	assert_non_null(strstr(data, "1/6 steps  2 running"));
	assert_non_null(strstr(data, "ETA ~"));
	assert_non_null(strstr(data, "  ch5/glibc-with-a-rather-long-step-name-to-cut"));
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
	progress_end(&p);
	assert_null(p.data);
	progress_end(&p); /* twice: nothing */
	fclose(f);
	free(data);
	config_free(&cfg);
	assert_int_equal(remove_tree(dir), 0);
}

/* SIGINT: the build ends its steps without a callback; the display learns it from run.json. */
static void test_interrupted(void **state)
{
	(void)state;
	char dir[] = "/tmp/test_tty.XXXXXX";
	assert_non_null(mkdtemp(dir));
	write_demo_run(dir);
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
	assert_non_null(strstr(data, "1 running"));
	p.tick(&p); /* run.json unchanged: nothing new */
	fflush(f);
	assert_null(strstr(data, "INTR"));
	demo_steps[1].status = ST_INTERRUPTED;
	write_demo_run(dir);
	demo_steps[1].status = ST_PENDING;
	p.tick(&p);
	fflush(f);
	const char *intr = strstr(data, "INTR  ch5/binutils-pass1 after ");
	assert_non_null(intr);
	assert_null(strstr(intr, "running")); /* the area is gone, at once (no 1 s wait) */
	assert_true(str_ends(data, "\033[?2026l"));
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
