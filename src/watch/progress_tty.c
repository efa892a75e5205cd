/* progress_tty: scrolling log lines above a status area redrawn in place with ANSI escapes. */
#include "watch/progress_tty.h"

#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>

#include "watch/report.h"
#include "lib/util.h"

#define TTY_MAGIC 0x74747921u

struct tty {
	unsigned magic;
	FILE *out;
	bool color;
	struct run_info ri;     /* the build as its events told it: the plan's steps, then each event */
	int shown;              /* rows of the status area on the screen now (0: none) */
	double last_frame;      /* now_mono() of the last frame */
};

static struct tty *active;  /* the display to clean up at exit */

static struct tty *T(struct progress *p)
{
	struct tty *t = p->data;
	return t && t->magic == TTY_MAGIC ? t : NULL;
}

static void term_size(struct tty *t, int *cols, int *rows)
{
	struct winsize ws;
	*cols = 80;
	*rows = 24;
	if (ioctl(fileno(t->out), TIOCGWINSZ, &ws) == 0 && ws.ws_col > 0) {
		*cols = ws.ws_col;
		if (ws.ws_row > 0)
			*rows = ws.ws_row;
	}
}

/* Move from the end of the area's last row to the start of its first and clear to the end. */
static void erase_area(struct tty *t, struct buf *b)
{
	if (!t->shown)
		return;
	buf_puts(b, "\r");
	if (t->shown > 1)
		buf_printf(b, "\033[%dA", t->shown - 1);
	buf_puts(b, "\033[J");
	t->shown = 0;
}

static size_t count_running(const struct run_info *ri)
{
	size_t n = 0;
	for (size_t i = 0; i < ri->n; i++)
		n += ri->steps[i].status == ST_RUNNING;
	return n;
}

/* One frame: erase the area, print `line` (if any) where it was, draw the area again when a
 * step runs. All in one write, inside a synchronized update for the terminals that know it. */
static void frame(struct tty *t, const char *line)
{
	struct buf b = {0};
	buf_puts(&b, "\033[?2026h");
	erase_area(t, &b);
	if (line)
		buf_puts(&b, line);
	if (count_running(&t->ri) > 0) {
		int cols, rows;
		term_size(t, &cols, &rows);
		int max_running = rows / 2 - 1;
		if (max_running > 8)
			max_running = 8;
		if (max_running < 1)
			max_running = 1;
		struct strv lines = {0};
		run_status_lines(&t->ri, now_wall(), true, cols > 1 ? cols - 1 : 1, t->color, max_running, &lines);
		for (size_t i = 0; i < lines.n; i++) {
			buf_puts(&b, lines.v[i]);
			if (i + 1 < lines.n)
				buf_puts(&b, "\r\n");
		}
		t->shown = (int)lines.n;
		strv_free(&lines);
	}
	buf_puts(&b, "\033[?2026l");
	t->last_frame = now_mono();
	fwrite(b.data, 1, b.len, t->out);
	fflush(t->out);
	buf_free(&b);
}

static char *log_line(struct tty *t, const char *color, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static char *log_line(struct tty *t, const char *color, const char *fmt, ...)
{
	time_t now = time(NULL);
	struct tm tm;
	localtime_r(&now, &tm);
	va_list ap;
	va_start(ap, fmt);
	char *text = xvasprintf(fmt, ap);
	va_end(ap);
	bool c = t->color && color;
	char *line = xasprintf("[%02d:%02d:%02d] %s%s%s\n", tm.tm_hour, tm.tm_min, tm.tm_sec, c ? color : "", text,
	                       c ? "\033[0m" : "");  /* the colour ends before the newline */
	free(text);
	return line;
}

/* A step as the display keeps it: the plan's figures, no status yet. */
static void step_init(struct run_step *r, const struct progress_step *s)
{
	memset(r, 0, sizeof *r);
	r->id = xstrdup(s->id);
	r->title = s->title ? xstrdup(s->title) : NULL;
	r->stage = xstrdup(s->stage ? s->stage : "?");
	r->sbu_book = s->sbu_book;
	r->sbu_expect = s->sbu_expect > 0 ? s->sbu_expect : s->sbu_book;
	r->maxrss_kib = -1;
	r->exit_code = -1;
	r->lane = -1;
	r->status = ST_PENDING;
}

/* The step of an event; one the plan did not name (or with no plan) is added as it comes. */
static struct run_step *step_of(struct tty *t, const struct progress_step *s)
{
	ssize_t k = run_info_find(&t->ri, s->id);
	if (k >= 0)
		return &t->ri.steps[k];
	struct run_info *ri = &t->ri;
	ri->steps = xrealloc(ri->steps, (ri->n + 1) * sizeof *ri->steps);
	struct run_step *r = &ri->steps[ri->n++];
	step_init(r, s);
	return r;
}

/* The selected steps in execution order, with their stages and SBU figures: what the status
 * area counts and what the ETA adds up. What events said before stays (there are none in a
 * build: the plan comes first). */
static void tty_plan(struct progress *p, const struct progress_plan *plan)
{
	struct tty *t = T(p);
	struct run_info *ri = &t->ri;
	struct run_step *steps = xcalloc(plan->n + 1, sizeof *steps);
	for (size_t i = 0; i < plan->n; i++) {
		struct run_step *r = &steps[i];
		step_init(r, &plan->steps[i]);
		ssize_t k = run_info_find(ri, r->id);
		if (k < 0)
			continue;
		const struct run_step *o = &ri->steps[k];
		r->status = o->status;
		r->start = o->start;
		r->wall = o->wall;
		r->has_wall = o->has_wall;
		r->exit_code = o->exit_code;
	}
	struct run_info old = *ri;
	old.state = old.command = NULL;
	run_info_free(&old);
	ri->steps = steps;
	ri->n = plan->n;
	if (plan->started > 0)
		ri->started = plan->started;
	if (plan->jobs > 0)
		ri->jobs = plan->jobs;
	if (plan->sbu > ri->sbu)
		ri->sbu = plan->sbu;
}

static void tty_skip(struct progress *p, const struct progress_step *s)
{
	struct tty *t = T(p);
	step_of(t, s)->status = ST_SKIPPED;
	if (p->quiet)
		return;
	char *line = log_line(t, "\033[2m", "skip  %s (%s)", s->id, s->reason ? s->reason : "up to date");
	frame(t, line);
	free(line);
}

static void tty_run(struct progress *p, const struct progress_step *s)
{
	struct tty *t = T(p);
	step_of(t, s)->status = ST_PENDING;
	if (p->quiet)
		return;
	char *line = log_line(t, NULL, "run   %s (%s)", s->id, s->reason ? s->reason : "new");
	frame(t, line);
	free(line);
}

static void tty_start(struct progress *p, const struct progress_step *s)
{
	struct tty *t = T(p);
	struct run_step *r = step_of(t, s);
	r->status = ST_RUNNING;
	r->start = s->start > 0 ? s->start : now_wall();
	r->has_wall = false;
	char *line = p->quiet ? NULL : log_line(t, NULL, "start %s", s->id);
	frame(t, line);
	free(line);
}

static void tty_done(struct progress *p, const struct progress_step *s)
{
	struct tty *t = T(p);
	struct run_step *r = step_of(t, s);
	r->status = ST_DONE;
	r->wall = s->wall;
	r->has_wall = true;
	if (s->sbu > 0)
		t->ri.sbu = s->sbu;
	char *line = NULL;
	if (!p->quiet) {
		char sbu[32] = "";
		if (s->sbu > 0)
			snprintf(sbu, sizeof sbu, " (%.1f SBU)", s->wall / s->sbu);
		line = log_line(t, "\033[32m", "done  %s %.1fs%s [%zu/%zu]", s->id, s->wall, sbu, s->done, s->total);
	}
	frame(t, line);
	free(line);
}

static void tty_fail(struct progress *p, const struct progress_step *s)
{
	struct tty *t = T(p);
	struct run_step *r = step_of(t, s);
	r->status = ST_FAILED;
	r->wall = s->wall;
	r->has_wall = true;
	r->exit_code = s->status;
	char *line = log_line(t, "\033[31;1m", "FAIL  %s exit %s after %.1fs (log: %s)", s->id, fmt_exit(s->status), s->wall,
	                      s->log);
	frame(t, line);
	free(line);
}

/* SIGINT or SIGTERM ended a running step: it leaves the area, a line says so. */
static void tty_interrupted(struct progress *p, const struct progress_step *s)
{
	struct tty *t = T(p);
	struct run_step *r = step_of(t, s);
	if (r->status != ST_RUNNING)
		return;
	r->status = ST_INTERRUPTED;
	char *line = log_line(t, "\033[31;1m", "INTR  %s after %s", r->id, fmt_duration(now_wall() - r->start));
	frame(t, line);
	free(line);
}

static void tty_note(struct progress *p, const char *text)
{
	struct tty *t = T(p);
	if (p->quiet)
		return;
	char *line = log_line(t, NULL, "%s", text);
	frame(t, line);
	free(line);
}

static void tty_tick(struct progress *p)
{
	struct tty *t = T(p);
	size_t running = count_running(&t->ri);
	/* The caller may tick more often than once a second: redraw at most that often, but
	 * erase at once an area that has nothing left to show. */
	if ((t->shown && !running) || ((t->shown || running) && now_mono() - t->last_frame >= 0.95))
		frame(t, NULL);
}

static void at_exit(void)
{
	if (active && active->shown) {
		struct buf b = {0};
		erase_area(active, &b);
		fwrite(b.data, 1, b.len, active->out);
		fflush(active->out);
		buf_free(&b);
	}
}

void progress_tty_init(struct progress *p, FILE *out, const struct config *cfg)
{
	struct tty *t = xcalloc(1, sizeof *t);
	t->magic = TTY_MAGIC;
	t->out = out;
	t->color = !cfg->no_color;
	t->ri.state = xstrdup("running");
	t->ri.pid = (long)getpid();
	t->ri.jobs = cfg->jobs > 0 ? cfg->jobs : 1;
	t->ri.started = now_wall();
	t->ri.sbu = sbu_read(cfg->workdir);
	*p = (struct progress){0};
	p->skip = tty_skip;
	p->run = tty_run;
	p->start = tty_start;
	p->done = tty_done;
	p->fail = tty_fail;
	p->note = tty_note;
	p->tick = tty_tick;
	p->plan = tty_plan;
	p->interrupted = tty_interrupted;
	p->out = out;
	p->quiet = cfg->quiet;
	p->verbose = cfg->verbose;
	p->data = t;
	static bool registered;
	if (!registered) {
		atexit(at_exit);
		registered = true;
	}
	active = t;
}

void progress_auto_init(struct progress *p, FILE *out, const struct config *cfg)
{
	const char *term = getenv("TERM");
	if (!cfg->quiet && isatty(fileno(out)) && term && *term && strcmp(term, "dumb"))
		progress_tty_init(p, out, cfg);
	else
		progress_plain_init(p, out, cfg->quiet, cfg->verbose);
}

void progress_end(struct progress *p)
{
	struct tty *t = T(p);
	if (!t)
		return;
	if (t->shown) {
		struct buf b = {0};
		erase_area(t, &b);
		fwrite(b.data, 1, b.len, t->out);
		fflush(t->out);
		buf_free(&b);
	}
	if (active == t)
		active = NULL;
	run_info_free(&t->ri);
	t->magic = 0;
	free(t);
	p->data = NULL;
}
