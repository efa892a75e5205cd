/* report: read a run (run.json, stamps, timings.tsv) and show it as status lines, a Chrome
 * trace, an SVG timeline and a summary. */
#include "watch/report.h"

#include <errno.h>
#include <ftw.h>
#include <signal.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "lib/json.h"
#include "watch/eta.h"

/* Round to the nearest integer without libm (x may be negative). */
static long long round_ll(double x)
{
	return x < 0 ? -(long long)(-x + 0.5) : (long long)(x + 0.5);
}

/* ---- loading ---- */

static enum step_status status_from_name(const char *s)
{
	for (int k = ST_PENDING; k <= ST_EXCLUDED; k++)
		if (s && !strcmp(s, step_status_name((enum step_status)k)))
			return (enum step_status)k;
	return ST_PENDING;
}

static struct run_step *add_step(struct run_info *ri, size_t *cap)
{
	if (ri->n == *cap) {
		*cap = *cap ? 2 * *cap : 16;
		ri->steps = xrealloc(ri->steps, *cap * sizeof *ri->steps);
	}
	struct run_step *s = &ri->steps[ri->n++];
	memset(s, 0, sizeof *s);
	s->maxrss_kib = -1;
	s->exit_code = -1;
	s->lane = -1;
	return s;
}

/* The step `o` of run.json's "steps" (its id is known). */
static void step_from_json(const json_t *o, struct run_step *s)
{
	s->title = json_get_str(o, "title");
	s->stage = json_get_str(o, "stage");
	if (!s->stage)
		s->stage = xstrdup("?");
	s->reason = json_get_str(o, "reason");
	s->log = json_get_str(o, "log");
	s->sbu_book = json_get_num(o, "sbu_book", 0, NULL);
	s->sbu_expect = json_get_num(o, "sbu_expect", s->sbu_book, NULL);
	if (s->sbu_expect <= 0)
		s->sbu_expect = s->sbu_book;
	char *st = json_get_str(o, "status");
	s->status = status_from_name(st);
	free(st);
	s->start = json_get_num(o, "start", 0, NULL);
	bool have_wall;
	s->wall = json_get_num(o, "wall", 0, &have_wall);
	s->cpu = json_get_num(o, "cpu", 0, NULL);
	s->has_wall = have_wall && s->start > 0;
	s->maxrss_kib = (long)json_get_num(o, "maxrss_kib", -1, NULL);
	s->exit_code = (int)json_get_num(o, "exit", -1, NULL);
}

int run_info_parse(const char *text, struct run_info *ri, char *err, size_t errlen)
{
	memset(ri, 0, sizeof *ri);
	json_t *root = json_parse(text, err, errlen);
	if (!root)
		return -1;
	const json_t *steps = json_object_get(root, "steps");
	if (!json_is_array(steps)) {
		json_decref(root);
		return set_error(err, errlen, "no \"steps\" array");
	}
	int version = (int)json_get_num(root, "version", 0, NULL);
	if (version != 1) {
		json_decref(root);
		return set_error(err, errlen, "version %d, this lfsbuild reads version 1", version);
	}
	ri->from_json = true;
	ri->pid = (long)json_get_num(root, "pid", 0, NULL);
	ri->state = json_get_str(root, "state");
	if (!ri->state)
		ri->state = xstrdup("");
	ri->command = json_get_str(root, "command");
	ri->started = json_get_num(root, "started", 0, NULL);
	ri->updated = json_get_num(root, "updated", 0, NULL);
	ri->jobs = (int)json_get_num(root, "jobs", 1, NULL);
	if (ri->jobs < 1)
		ri->jobs = 1;
	ri->sbu = json_get_num(root, "sbu", 0, NULL);
	size_t cap = 0;
	for (size_t i = 0; i < json_array_size(steps); i++) {
		const json_t *o = json_array_get(steps, i);
		char *id = json_get_str(o, "id");
		if (!id)
			continue;
		struct run_step *s = add_step(ri, &cap);
		s->id = id;
		step_from_json(o, s);
	}
	json_decref(root);
	return 0;
}

void run_info_free(struct run_info *ri)
{
	for (size_t i = 0; i < ri->n; i++) {
		struct run_step *s = &ri->steps[i];
		free(s->id);
		free(s->title);
		free(s->stage);
		free(s->reason);
		free(s->log);
	}
	free(ri->steps);
	free(ri->state);
	free(ri->command);
	memset(ri, 0, sizeof *ri);
}

ssize_t run_info_find(const struct run_info *ri, const char *id)
{
	for (size_t i = 0; i < ri->n; i++)
		if (!strcmp(ri->steps[i].id, id))
			return (ssize_t)i;
	return -1;
}

/* Fill a step's timing from its stamp; true if the stamp had one. */
static bool from_stamp(const char *workdir, struct run_step *s)
{
	struct stamp st;
	if (stamp_read(workdir, s->id, &st) < 0)
		return false;
	bool ok = st.start > 0;
	if (ok) {
		s->start = st.start;
		s->wall = st.wall;
		s->cpu = st.cpu;
		s->has_wall = strcmp(st.result, "running") != 0;
		s->maxrss_kib = st.maxrss_kib;
		s->exit_code = st.exit_code;
		if (s->status == ST_PENDING || !s->has_wall) {
			if (!strcmp(st.result, "failed"))
				s->status = ST_FAILED;
			else if (!strcmp(st.result, "ok") || !strcmp(st.result, "invalid"))
				s->status = ST_DONE;
			else
				s->status = ST_INTERRUPTED;
		}
	}
	stamp_free(&st);
	return ok;
}

/* The stage of a step known only by its id: its chapter ("ch8"). */
static char *stage_of_id(const char *id)
{
	const char *slash = strchr(id, '/');
	return slash ? xstrndup(id, (size_t)(slash - id)) : xstrdup("?");
}

static const char *walk_root;
static struct run_info *walk_ri;
static size_t walk_cap;

static int walk_stamp(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
	(void)st;
	(void)ftw;
	if (type != FTW_F || !str_ends(path, ".stamp"))
		return 0;
	size_t rl = strlen(walk_root);
	const char *rel = path + rl + 1;
	char *id = xstrndup(rel, strlen(rel) - strlen(".stamp"));
	struct run_step *s = add_step(walk_ri, &walk_cap);
	s->id = id;
	s->stage = stage_of_id(id);
	s->status = ST_PENDING;
	return 0;
}

static int cmp_start(const void *a, const void *b)
{
	const struct run_step *x = a, *y = b;
	if (x->start != y->start)
		return x->start < y->start ? -1 : 1;
	return strcmp(x->id, y->id);
}

/* Steps from logs/timings.tsv that ri does not have: the last line of each. */
static void add_timings(const char *workdir, struct run_info *ri, size_t *cap)
{
	char *path = xasprintf("%s/logs/timings.tsv", workdir);
	char *text = read_file(path, NULL);
	free(path);
	if (!text)
		return;
	size_t first_new = ri->n;
	char *save = NULL;
	for (char *line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		char *f[7];
		size_t nf = 0;
		for (char *p = line; nf < 7; nf++) {
			f[nf] = p;
			char *tab = strchr(p, '\t');
			if (!tab) {
				nf++;
				break;
			}
			*tab = '\0';
			p = tab + 1;
		}
		if (nf < 7)
			continue;
		ssize_t k = run_info_find(ri, f[0]);
		if (k >= 0 && (size_t)k < first_new)
			continue;
		struct run_step *s = k >= 0 ? &ri->steps[k] : add_step(ri, cap);
		if (k < 0) {
			s->id = xstrdup(f[0]);
			s->stage = stage_of_id(f[0]);
		}
		s->start = atof(f[1]);
		s->wall = atof(f[2]);
		s->has_wall = true;
		s->cpu = atof(f[4]);
		s->maxrss_kib = atol(f[5]);
		s->status = status_from_name(f[6]);
	}
	free(text);
}

int run_info_load(const char *workdir, struct run_info *ri, char *err, size_t errlen)
{
	char *path = xasprintf("%s/state/run.json", workdir);
	char *text = read_file(path, NULL);
	if (text) {
		char why[256];
		int r = run_info_parse(text, ri, why, sizeof why);
		free(text);
		if (r < 0) {
			set_error(err, errlen, "%s: %s", path, why);
			free(path);
			return -1;
		}
		free(path);
		/* Steps up to date or left out still have the timings of the run that built them. */
		for (size_t i = 0; i < ri->n; i++) {
			struct run_step *s = &ri->steps[i];
			if (s->start <= 0 && (s->status == ST_SKIPPED || s->status == ST_EXCLUDED))
				from_stamp(workdir, s);
		}
		if (ri->sbu <= 0)
			ri->sbu = sbu_read(workdir);
		return 0;
	}
	if (errno != ENOENT) {
		set_error(err, errlen, "cannot read %s: %s", path, strerror(errno));
		free(path);
		return -1;
	}
	free(path);
	/* No run.json: whatever the stamps and timings.tsv say. */
	memset(ri, 0, sizeof *ri);
	ri->state = xstrdup("");
	ri->jobs = 1;
	ri->sbu = sbu_read(workdir);
	char *dir = xasprintf("%s/state/stamps", workdir);
	walk_root = dir;
	walk_ri = ri;
	walk_cap = 0;
	if (is_dir(dir))
		nftw(dir, walk_stamp, 16, FTW_PHYS);
	size_t cap = walk_cap;
	for (size_t i = 0; i < ri->n; i++)
		from_stamp(workdir, &ri->steps[i]);
	free(dir);
	walk_root = NULL;
	walk_ri = NULL;
	add_timings(workdir, ri, &cap);
	if (ri->n == 0) {
		set_error(err, errlen, "no build has run in %s yet (no state/run.json, no stamps, no logs/timings.tsv)",
		       workdir);
		run_info_free(ri);
		return -1;
	}
	qsort(ri->steps, ri->n, sizeof *ri->steps, cmp_start);
	for (size_t i = 0; i < ri->n; i++)
		if (ri->steps[i].start > 0 && (ri->started == 0 || ri->steps[i].start < ri->started))
			ri->started = ri->steps[i].start;
	for (size_t i = 0; i < ri->n; i++)
		if (ri->steps[i].has_wall && run_step_end(&ri->steps[i], 0) > ri->updated)
			ri->updated = run_step_end(&ri->steps[i], 0);
	return 0;
}

/* ---- liveness ---- */

bool run_pid_alive(long pid)
{
	if (pid <= 0)
		return false;
	if (kill((pid_t)pid, 0) < 0 && errno != EPERM)
		return false;
	/* The pid may have been reused: it must still be an lfsbuild. */
	char *path = xasprintf("/proc/%ld/cmdline", pid);
	size_t len;
	char *cmd = read_file(path, &len);
	free(path);
	if (!cmd)
		return true;
	bool ours = false;
	for (size_t i = 0; i < len && !ours; i += strlen(cmd + i) + 1)
		ours = strstr(cmd + i, "lfsbuild") != NULL;
	free(cmd);
	return ours;
}

bool run_is_live(const struct run_info *ri)
{
	return ri->from_json && !strcmp(ri->state, "running") && run_pid_alive(ri->pid);
}

/* ---- ETA ---- */

double run_eta(const struct run_info *ri, double now, bool live, bool *assumed)
{
	struct eta_step *es = xcalloc(ri->n + 1, sizeof *es);
	size_t n = 0;
	int stage = -1;
	const char *last = NULL;
	bool sbu_pending = false;
	for (size_t i = 0; i < ri->n; i++) {
		const struct run_step *s = &ri->steps[i];
		if (s->status == ST_EXCLUDED)
			continue;
		if (!last || strcmp(last, s->stage))
			stage++, last = s->stage;
		struct eta_step *e = &es[n++];
		e->sbu = s->sbu_expect;
		e->stage = stage;
		if (s->status == ST_PENDING)
			e->state = ETA_TODO;
		else if (!live && (s->status == ST_FAILED || s->status == ST_INTERRUPTED || s->status == ST_BLOCKED))
			e->state = ETA_TODO;
		else if (s->status == ST_RUNNING) {
			e->state = ETA_RUNNING;
			e->elapsed = s->start > 0 && now > s->start ? now - s->start : 0;
		} else
			e->state = ETA_FINISHED;
		if (e->state != ETA_FINISHED && !strcmp(s->id, "ch5/binutils-pass1"))
			sbu_pending = true;
	}
	if (assumed)
		*assumed = ri->sbu <= 0 || sbu_pending;
	double eta = eta_seconds(es, n, ri->sbu, ri->jobs);
	free(es);
	return eta;
}

/* ---- status lines ---- */

#define C_RED "\033[31m"
#define C_GREEN "\033[32m"
#define C_YELLOW "\033[33m"
#define C_BOLD "\033[1m"
#define C_DIM "\033[2m"
#define C_OFF "\033[0m"

/* Append `text` as a line cut to `width` visible columns (ANSI sequences take none). */
static void push_line(struct strv *lines, const char *text, int width, bool color)
{
	struct buf b = {0};
	buf_puts(&b, "");
	int col = 0;
	for (const char *p = text; *p; p++) {
		if (*p == '\033') {
			const char *q = p + 1;
			if (*q == '[') {
				q++;
				while (*q && !(*q >= '@' && *q <= '~'))
					q++;
				if (*q)
					q++;
			}
			buf_add(&b, p, (size_t)(q - p));
			p = q - 1;
			continue;
		}
		/* UTF-8 continuation bytes take no column. */
		if (((unsigned char)*p & 0xc0) != 0x80) {
			if (width > 0 && col >= width)
				break;
			col++;
		}
		buf_add(&b, p, 1);
	}
	if (color)
		buf_puts(&b, C_OFF);
	strv_push(lines, b.data);
}

static const char *clock_of(double epoch)
{
	static char text[4][16];
	static int k;
	k = (k + 1) % 4;
	time_t t = (time_t)epoch;
	struct tm tm;
	localtime_r(&t, &tm);
	snprintf(text[k], sizeof text[k], "%02d:%02d:%02d", tm.tm_hour, tm.tm_min, tm.tm_sec);
	return text[k];
}

void run_status_lines(const struct run_info *ri, double now, bool live, int width, bool color, int max_running,
                      struct strv *lines)
{
	size_t total = 0, finished = 0, failed = 0, interrupted = 0, running = 0, blocked = 0;
	for (size_t i = 0; i < ri->n; i++) {
		enum step_status st = ri->steps[i].status;
		total += st != ST_EXCLUDED;
		finished += st == ST_DONE || st == ST_SKIPPED;
		failed += st == ST_FAILED;
		interrupted += st == ST_INTERRUPTED;
		running += st == ST_RUNNING;
		blocked += st == ST_BLOCKED;
	}
	const char *red = color ? C_RED C_BOLD : "", *green = color ? C_GREEN : "", *yellow = color ? C_YELLOW : "",
		   *dim = color ? C_DIM : "", *off = color ? C_OFF : "";
	struct buf b = {0};
	/* [#####.....] 42/130 steps  2 running  1 failed  elapsed 12m03s  ETA 1h05m */
	int barw = 20;
	int fill = total ? (int)((double)finished * barw / (double)total + 0.5) : 0;
	buf_puts(&b, "[");
	buf_printf(&b, "%s", green);
	for (int k = 0; k < barw; k++) {
		if (k == fill)
			buf_printf(&b, "%s", off);
		buf_puts(&b, k < fill ? "#" : ".");
	}
	if (fill == barw)
		buf_printf(&b, "%s", off);
	buf_printf(&b, "] %zu/%zu steps", finished, total);
	if (running)
		buf_printf(&b, "  %s%zu running%s", yellow, running, off);
	if (failed)
		buf_printf(&b, "  %s%zu failed%s", red, failed, off);
	if (interrupted)
		buf_printf(&b, "  %s%zu interrupted%s", red, interrupted, off);
	if (blocked)
		buf_printf(&b, "  %zu blocked", blocked);
	bool assumed;
	double eta = run_eta(ri, now, live, &assumed);
	bool more = live ? finished + failed + interrupted + blocked < total : finished < total;
	if (more)
		buf_printf(&b, "  %s %s%s", live ? "ETA" : "still to build:", assumed ? "~" : "", fmt_duration(eta));
	if (ri->started > 0 && now > ri->started)
		buf_printf(&b, "  elapsed %s", fmt_duration(now - ri->started));
	if (more && assumed)
		buf_printf(&b, "  (1 SBU = %.0fs assumed until ch5/binutils-pass1 is measured)",
		           ri->sbu > 0 ? ri->sbu : ETA_DEFAULT_SBU);
	else if (more)
		buf_printf(&b, "  (1 SBU = %.0fs)", ri->sbu);
	push_line(lines, b.data, width, color);
	buf_free(&b);

	int shown = 0;
	double sbu = ri->sbu > 0 ? ri->sbu : ETA_DEFAULT_SBU;
	for (size_t i = 0; i < ri->n; i++) {
		const struct run_step *s = &ri->steps[i];
		if (s->status != ST_RUNNING)
			continue;
		if (max_running > 0 && shown == max_running) {
			char *rest = xasprintf("  %s+%zu more running%s", dim, running - (size_t)shown, off);
			push_line(lines, rest, width, color);
			free(rest);
			break;
		}
		double el = s->start > 0 && now > s->start ? now - s->start : 0;
		char *line = xasprintf("  %s%-28s%s %8s of ~%s  %s(%.1f SBU%s%s)%s", yellow, s->id, off, fmt_duration(el),
		                       fmt_duration(s->sbu_expect * sbu), dim, s->sbu_expect, s->title ? ", " : "",
		                       s->title ? s->title : "", off);
		push_line(lines, line, width, color);
		free(line);
		shown++;
	}
}

/* ---- lanes ---- */

double run_step_end(const struct run_step *s, double end)
{
	if (s->has_wall)
		return s->start + s->wall;
	return end > s->start ? end : s->start;
}

static struct run_step **sorted_bars(struct run_info *ri, size_t *nb)
{
	struct run_step **v = xcalloc(ri->n + 1, sizeof *v);
	size_t n = 0;
	for (size_t i = 0; i < ri->n; i++)
		if (ri->steps[i].start > 0 && (ri->steps[i].has_wall || ri->steps[i].status == ST_RUNNING))
			v[n++] = &ri->steps[i];
	/* insertion sort by start (stable: execution order among equal starts) */
	for (size_t i = 1; i < n; i++) {
		struct run_step *x = v[i];
		size_t j = i;
		while (j > 0 && v[j - 1]->start > x->start) {
			v[j] = v[j - 1];
			j--;
		}
		v[j] = x;
	}
	*nb = n;
	return v;
}

/* Two steps that merely follow each other (the next starts as the last ends) share a lane:
 * start is wall-clock time, wall is measured on the monotonic clock. */
#define LANE_SLACK 0.25

int run_lanes(struct run_info *ri, double end)
{
	size_t nb;
	struct run_step **bars = sorted_bars(ri, &nb);
	double *lane_end = xcalloc(nb + 1, sizeof *lane_end);
	int lanes = 0;
	for (size_t i = 0; i < ri->n; i++)
		ri->steps[i].lane = -1;
	for (size_t i = 0; i < nb; i++) {
		int l = 0;
		while (l < lanes && lane_end[l] > bars[i]->start + LANE_SLACK)
			l++;
		if (l == lanes)
			lanes++;
		bars[i]->lane = l;
		lane_end[l] = run_step_end(bars[i], end);
	}
	free(lane_end);
	free(bars);
	return lanes;
}

/* ---- Chrome trace ---- */

static double first_start(const struct run_info *ri)
{
	double t0 = 0;
	for (size_t i = 0; i < ri->n; i++)
		if (ri->steps[i].start > 0 && (t0 == 0 || ri->steps[i].start < t0))
			t0 = ri->steps[i].start;
	return t0;
}

/* `ev` (a reference this takes) compact, jansson's text; never NULL. */
static char *event_text(json_t *ev)
{
	char *text = ev ? json_dumps(ev, JSON_COMPACT) : NULL;
	if (!text)
		die("cannot write the trace (out of memory?)");
	json_decref(ev);
	return text;
}

/* A metadata event ("ph":"M") of the process (tid 0) or of a lane's thread. */
static void put_meta(FILE *out, const char *name, int tid, const char *key, json_t *value)
{
	char *text = event_text(json_pack("{s:s, s:s, s:i, s:i, s:{s:o}}", "name", name, "ph", "M", "pid", 1, "tid", tid,
	                                  "args", key, value));
	fprintf(out, "%s%s", tid ? ",\n" : "", text);
	free(text);
}

/* A step's complete event ("ph":"X"). jansson writes it up to the figures of its args: these
 * have a fixed number of decimals (wall_s and cpu_s 3, sbu and sbu_book 2), which jansson does
 * not write (a real comes out in its shortest form, "86.1" for 86.100), so they and the integers
 * after them are printed as they always were and the trace stays the same byte for byte. */
static void put_step(FILE *out, const struct run_info *ri, const struct run_step *s, double t0, double end)
{
	json_t *args = json_pack("{s:s}", "status", step_status_name(s->status));
	if (args && s->title)
		json_object_set_new(args, "title", json_text(s->title));
	char *text = event_text(json_pack("{s:o, s:o, s:s, s:I, s:I, s:i, s:i, s:o}",
	                                  "name", json_text(s->id),
	                                  "cat", json_text(s->stage),
	                                  "ph", "X",
	                                  "ts", (json_int_t)round_ll((s->start - t0) * 1e6),
	                                  "dur", (json_int_t)round_ll((run_step_end(s, end) - s->start) * 1e6),
	                                  "pid", 1,
	                                  "tid", s->lane + 1,
	                                  "args", args));
	/* all but the "}}" that close args and the event */
	fprintf(out, ",\n%.*s", (int)(strlen(text) - 2), text);
	free(text);
	if (s->has_wall)
		fprintf(out, ",\"wall_s\":%.3f,\"cpu_s\":%.3f", s->wall, s->cpu);
	if (s->has_wall && ri->sbu > 0)
		fprintf(out, ",\"sbu\":%.2f", s->wall / ri->sbu);
	fprintf(out, ",\"sbu_book\":%.2f", s->sbu_book);
	if (s->maxrss_kib >= 0 && s->has_wall)
		fprintf(out, ",\"maxrss_kib\":%ld", s->maxrss_kib);
	if (s->exit_code >= 0)
		fprintf(out, ",\"exit\":%d", s->exit_code);
	fputs("}}", out);
}

int run_write_trace(struct run_info *ri, double end, FILE *out)
{
	int lanes = run_lanes(ri, end);
	double t0 = first_start(ri);
	/* one event a line */
	fputs("{\"displayTimeUnit\":\"ms\",\"traceEvents\":[\n", out);
	put_meta(out, "process_name", 0, "name", json_text("lfsbuild build"));
	for (int l = 0; l < lanes; l++) {
		char *name = xasprintf("slot %d", l + 1);
		put_meta(out, "thread_name", l + 1, "name", json_text(name));
		put_meta(out, "thread_sort_index", l + 1, "sort_index", json_integer(l + 1));
		free(name);
	}
	for (size_t i = 0; i < ri->n; i++)
		if (ri->steps[i].lane >= 0)
			put_step(out, ri, &ri->steps[i], t0, end);
	fputs("\n]}\n", out);
	return ferror(out) ? -1 : 0;
}

/* ---- SVG timeline ---- */

static void xml_text(FILE *out, const char *s)
{
	for (; s && *s; s++) {
		switch (*s) {
		case '&': fputs("&amp;", out); break;
		case '<': fputs("&lt;", out); break;
		case '>': fputs("&gt;", out); break;
		case '"': fputs("&quot;", out); break;
		case '\'': fputs("&apos;", out); break;
		default:
			if ((unsigned char)*s >= 0x20 || *s == '\n' || *s == '\t')
				fputc(*s, out);
		}
	}
}

struct seg {
	double t0, t1;          /* a busy period (small idle gaps inside kept) */
	double x0;              /* where it starts on the page */
};

struct tmap {
	struct seg *segs;
	size_t n;
	double scale;           /* pixels per second */
	double gapw;            /* the width drawn for a shortened gap */
};

static double tx(const struct tmap *m, double t)
{
	size_t k = 0;
	while (k + 1 < m->n && t >= m->segs[k + 1].t0)
		k++;
	const struct seg *s = &m->segs[k];
	if (t > s->t1 && k + 1 < m->n)
		t = s->t1;
	return s->x0 + (t - s->t0) * m->scale;
}

/* The colour of a stage: the book's stages have their own, others take one in turn. */
static const char *stage_colour(const char *stage, size_t index)
{
	static const char *const names[] = {"prep", "cross", "temp", "chroot", "system", "config", "boot"};
	static const char *const colours[] = {"#9e9e9e", "#4e79a7", "#59a14f", "#edc948", "#f28e2b", "#b07aa1", "#76b7b2"};
	static const char *const others[] = {"#4e79a7", "#f28e2b", "#59a14f", "#e15759", "#76b7b2", "#edc948",
	                                     "#b07aa1", "#ff9da7", "#9c755f", "#bab0ac"};
	for (size_t k = 0; k < ARRAY_LEN(names); k++)
		if (!strcmp(stage, names[k]))
			return colours[k];
	return others[index % ARRAY_LEN(others)];
}

static void fmt_tick(char *out, size_t len, double s)
{
	long v = (long)round_ll(s);
	if (v < 60)
		snprintf(out, len, "%lds", v);
	else if (v < 3600)
		snprintf(out, len, v % 60 ? "%ldm%02lds" : "%ldm", v / 60, v % 60);
	else
		snprintf(out, len, "%ldh%02ldm", v / 3600, v % 3600 / 60);
}

/* The stages in order of first appearance. */
static size_t stage_list(const struct run_info *ri, const char **names, size_t max)
{
	size_t n = 0;
	for (size_t i = 0; i < ri->n; i++) {
		size_t k = 0;
		while (k < n && strcmp(names[k], ri->steps[i].stage))
			k++;
		if (k == n && n < max)
			names[n++] = ri->steps[i].stage;
	}
	return n;
}

static size_t stage_index(const char **names, size_t n, const char *stage)
{
	for (size_t k = 0; k < n; k++)
		if (!strcmp(names[k], stage))
			return k;
	return 0;
}

#define SVG_W 1200.0
#define SVG_ML 70.0
#define SVG_MR 20.0
#define SVG_LANE_H 24.0
#define SVG_LANE_GAP 4.0
#define SVG_TOP 64.0
#define SVG_GAP_W 24.0
#define SVG_CHAR_W 6.6

int run_write_svg(struct run_info *ri, double end, FILE *out)
{
	int used = run_lanes(ri, end);
	int lanes = used > ri->jobs ? used : ri->jobs;
	if (lanes < 1)
		lanes = 1;
	size_t nb;
	struct run_step **bars = sorted_bars(ri, &nb);
	/* Busy periods: idle gaps longer than a minute and than 5% of the busy time are shortened. */
	struct tmap m = {xcalloc(nb + 1, sizeof *m.segs), 0, 1, SVG_GAP_W};
	double busy = 0;
	for (size_t i = 0; i < nb; i++) {
		double s = bars[i]->start, e = run_step_end(bars[i], end);
		if (m.n && s <= m.segs[m.n - 1].t1) {
			if (e > m.segs[m.n - 1].t1)
				m.segs[m.n - 1].t1 = e;
		} else {
			m.segs[m.n++] = (struct seg){s, e, 0};
		}
	}
	for (size_t k = 0; k < m.n; k++)
		busy += m.segs[k].t1 - m.segs[k].t0;
	double minrun = busy * 0.05 > 60 ? busy * 0.05 : 60;
	size_t w = 0;
	for (size_t k = 0; k < m.n; k++) {
		if (w && m.segs[k].t0 - m.segs[w - 1].t1 <= minrun)
			m.segs[w - 1].t1 = m.segs[k].t1;
		else
			m.segs[w++] = m.segs[k];
	}
	m.n = w;
	double span = 0;
	for (size_t k = 0; k < m.n; k++)
		span += m.segs[k].t1 - m.segs[k].t0;
	double gaps = m.n ? (double)(m.n - 1) * SVG_GAP_W : 0;
	double plot = SVG_W - SVG_ML - SVG_MR - gaps;
	m.scale = span > 0 ? plot / span : 1;
	double x = SVG_ML;
	for (size_t k = 0; k < m.n; k++) {
		m.segs[k].x0 = x;
		x += (m.segs[k].t1 - m.segs[k].t0) * m.scale + SVG_GAP_W;
	}
	double t0 = m.n ? m.segs[0].t0 : 0;

	const char *stages[64];
	size_t nst = stage_list(ri, stages, ARRAY_LEN(stages));
	double lanes_h = lanes * (SVG_LANE_H + SVG_LANE_GAP);
	double axis_y = SVG_TOP + lanes_h + 2;
	double height = axis_y + 44;

	fprintf(out, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
	             "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%.0f\" height=\"%.0f\" viewBox=\"0 0 %.0f %.0f\" "
	             "font-family=\"sans-serif\" font-size=\"11\">\n",
	        SVG_W, height, SVG_W, height);
	fprintf(out, "<rect width=\"100%%\" height=\"100%%\" fill=\"#ffffff\"/>\n");
	size_t ndrawn = 0;
	for (size_t i = 0; i < ri->n; i++)
		ndrawn += ri->steps[i].lane >= 0;
	fprintf(out, "<text x=\"%.0f\" y=\"18\" font-size=\"14\" font-weight=\"bold\">lfsbuild timeline: %zu steps, "
	             "%s busy, %d job slot%s",
	        SVG_ML, ndrawn, fmt_duration(span), lanes, lanes == 1 ? "" : "s");
	if (ri->sbu > 0)
		fprintf(out, ", 1 SBU = %.1f s", ri->sbu);
	fputs("</text>\n", out);

	/* legend */
	fputs("<g class=\"legend\">\n", out);
	double lx = SVG_ML;
	for (size_t k = 0; k < nst; k++) {
		fprintf(out, "<rect x=\"%.1f\" y=\"30\" width=\"12\" height=\"12\" fill=\"%s\"/>", lx, stage_colour(stages[k], k));
		fprintf(out, "<text x=\"%.1f\" y=\"40\">", lx + 16);
		xml_text(out, stages[k]);
		fputs("</text>\n", out);
		lx += 16 + SVG_CHAR_W * (double)strlen(stages[k]) + 14;
	}
	fprintf(out, "<rect x=\"%.1f\" y=\"30\" width=\"12\" height=\"12\" fill=\"#ffffff\" stroke=\"#d62728\" "
	             "stroke-width=\"2\"/><text x=\"%.1f\" y=\"40\">failed</text>\n",
	        lx, lx + 16);
	lx += 16 + SVG_CHAR_W * 6 + 14;
	fprintf(out, "<rect x=\"%.1f\" y=\"30\" width=\"12\" height=\"12\" fill=\"#cccccc\" stroke=\"#333333\" "
	             "stroke-dasharray=\"3,2\"/><text x=\"%.1f\" y=\"40\">running</text>\n",
	        lx, lx + 16);
	fputs("</g>\n", out);

	/* lanes and bars */
	for (int l = 0; l < lanes; l++) {
		double y = SVG_TOP + l * (SVG_LANE_H + SVG_LANE_GAP);
		fprintf(out, "<g class=\"lane\" id=\"lane-%d\">\n", l + 1);
		fprintf(out, "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" fill=\"%s\"/>\n", SVG_ML, y,
		        SVG_W - SVG_ML - SVG_MR, SVG_LANE_H, l % 2 ? "#f4f4f4" : "#ebebeb");
		fprintf(out, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"end\">slot %d</text>\n", SVG_ML - 6,
		        y + SVG_LANE_H / 2 + 4, l + 1);
		for (size_t i = 0; i < nb; i++) {
			const struct run_step *s = bars[i];
			if (s->lane != l)
				continue;
			double e = run_step_end(s, end);
			double x0 = tx(&m, s->start), x1 = tx(&m, e);
			double bw = x1 - x0 < 1 ? 1 : x1 - x0;
			const char *fill = stage_colour(s->stage, stage_index(stages, nst, s->stage));
			const char *extra = " stroke=\"#ffffff\" stroke-width=\"1\"";  /* a seam between bars */
			if (s->status == ST_FAILED)
				extra = " stroke=\"#d62728\" stroke-width=\"2\"";
			else if (s->status == ST_INTERRUPTED)
				extra = " stroke=\"#ff7f0e\" stroke-width=\"2\"";
			else if (s->status == ST_RUNNING)
				extra = " stroke=\"#333333\" stroke-dasharray=\"3,2\" fill-opacity=\"0.6\"";
			fprintf(out, "<g class=\"step\"><rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" fill=\"%s\"%s>",
			        x0, y + 1, bw, SVG_LANE_H - 2, fill, extra);
			fputs("<title>", out);
			xml_text(out, s->id);
			if (s->title) {
				fputs(" (", out);
				xml_text(out, s->title);
				fputs(")", out);
			}
			fprintf(out, "\n%s: %s", step_status_name(s->status), fmt_duration(e - s->start));
			if (s->has_wall && ri->sbu > 0)
				fprintf(out, ", %.2f SBU", s->wall / ri->sbu);
			fprintf(out, " (book %.2f SBU)", s->sbu_book);
			if (s->has_wall)
				fprintf(out, ", CPU %s", fmt_duration(s->cpu));
			if (s->has_wall && s->maxrss_kib >= 0)
				fprintf(out, ", max RSS %s", fmt_bytes((double)s->maxrss_kib * 1024));
			fputs("</title></rect>", out);
			const char *label = s->id;
			if (bw < SVG_CHAR_W * (double)strlen(label) + 6 && strchr(label, '/'))
				label = strchr(label, '/') + 1;
			if (bw >= SVG_CHAR_W * (double)strlen(label) + 6) {
				fprintf(out, "<text x=\"%.1f\" y=\"%.1f\" pointer-events=\"none\">", x0 + 3, y + SVG_LANE_H / 2 + 4);
				xml_text(out, label);
				fputs("</text>", out);
			}
			fputs("</g>\n", out);
		}
		fputs("</g>\n", out);
	}

	/* shortened gaps */
	for (size_t k = 0; k + 1 < m.n; k++) {
		double gx = tx(&m, m.segs[k].t1), idle = m.segs[k + 1].t0 - m.segs[k].t1;
		fprintf(out, "<g class=\"gap\"><rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" fill=\"#ffffff\" "
		             "stroke=\"#999999\" stroke-dasharray=\"2,2\"><title>idle %s (shortened)</title></rect>"
		             "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\" font-size=\"9\" fill=\"#666666\">idle</text></g>\n",
		        gx + 2, SVG_TOP, SVG_GAP_W - 4, lanes_h - SVG_LANE_GAP, fmt_duration(idle), gx + SVG_GAP_W / 2,
		        SVG_TOP - 4);
	}

	/* time axis: time since the first step started */
	fputs("<g class=\"axis\">\n", out);
	fprintf(out, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#333333\"/>\n", SVG_ML, axis_y,
	        SVG_W - SVG_MR, axis_y);
	static const double steps[] = {1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 10800, 21600, 43200, 86400};
	double tick = steps[ARRAY_LEN(steps) - 1];
	for (size_t k = 0; k < ARRAY_LEN(steps); k++)
		if (steps[k] * m.scale >= 70) {
			tick = steps[k];
			break;
		}
	for (size_t k = 0; k < m.n; k++) {
		double rel0 = m.segs[k].t0 - t0, rel1 = m.segs[k].t1 - t0;
		for (double r = (double)(long long)((rel0 + tick - 1e-9) / tick) * tick; r <= rel1 + 1e-6; r += tick) {
			double px = tx(&m, t0 + r);
			char lab[32];
			fmt_tick(lab, sizeof lab, r);
			fprintf(out, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#333333\"/>"
			             "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\">%s</text>\n",
			        px, axis_y, px, axis_y + 5, px, axis_y + 17, lab);
		}
	}
	fprintf(out, "<text x=\"%.1f\" y=\"%.1f\" fill=\"#666666\">time since the first step started", SVG_ML,
	        axis_y + 34);
	if (t0 > 0)
		fprintf(out, " (%s)", clock_of(t0));
	fputs("</text>\n</g>\n</svg>\n", out);
	free(m.segs);
	free(bars);
	return ferror(out) ? -1 : 0;
}

/* ---- summary ---- */

/* The end time that the summary's sort uses for steps still running. */
static double sort_end;

static int cmp_wall_desc(const void *a, const void *b)
{
	const struct run_step *x = *(const struct run_step *const *)a, *y = *(const struct run_step *const *)b;
	double wx = run_step_end(x, sort_end) - x->start, wy = run_step_end(y, sort_end) - y->start;
	if (wx != wy)
		return wx > wy ? -1 : 1;
	return strcmp(x->id, y->id);
}

void run_write_summary(struct run_info *ri, double end, FILE *out)
{
	size_t nb;
	struct run_step **bars = sorted_bars(ri, &nb);
	/* wall: the time during which at least one step ran */
	double wall = 0, cur0 = 0, cur1 = -1, cpu = 0, first = 0, last = 0;
	for (size_t i = 0; i < nb; i++) {
		double s = bars[i]->start, e = run_step_end(bars[i], end);
		if (i == 0 || s < first)
			first = s;
		if (e > last)
			last = e;
		if (bars[i]->has_wall)
			cpu += bars[i]->cpu;
		if (s > cur1) {
			if (cur1 > cur0)
				wall += cur1 - cur0;
			cur0 = s;
			cur1 = e;
		} else if (e > cur1) {
			cur1 = e;
		}
	}
	if (nb && cur1 > cur0)
		wall += cur1 - cur0;
	int jobs = ri->jobs > 0 ? ri->jobs : 1;
	fprintf(out, "steps:   %zu with timings", nb);
	size_t nfail = 0;
	for (size_t i = 0; i < nb; i++)
		nfail += bars[i]->status == ST_FAILED || bars[i]->status == ST_INTERRUPTED;
	if (nfail)
		fprintf(out, " (%zu failed or interrupted)", nfail);
	if (ri->from_json)
		fprintf(out, "; last run %s, -j%d", *ri->state ? ri->state : "?", jobs);
	fputc('\n', out);
	fprintf(out, "wall:    %s with a step running", fmt_duration(wall));
	if (last - first > wall + 1)
		fprintf(out, " (first start to last end %s)", fmt_duration(last - first));
	fputc('\n', out);
	fprintf(out, "CPU:     %s (user + system, all steps)\n", fmt_duration(cpu));
	if (wall > 0)
		fprintf(out, "CPU use: %.0f%% = CPU / (wall x %d job%s)\n", 100 * cpu / (wall * jobs), jobs, jobs == 1 ? "" : "s");
	if (ri->sbu > 0)
		fprintf(out, "SBU:     %.1f s (ch5/binutils-pass1 on this machine)\n", ri->sbu);

	struct run_step **top = xcalloc(nb + 1, sizeof *top);
	memcpy(top, bars, nb * sizeof *top);
	sort_end = end;
	qsort(top, nb, sizeof *top, cmp_wall_desc);
	size_t ntop = nb < 10 ? nb : 10;
	if (ntop)
		fprintf(out, "\ntop %zu steps by wall time:\n", ntop);
	size_t idw = 4;
	for (size_t i = 0; i < ntop; i++)
		if (strlen(top[i]->id) > idw)
			idw = strlen(top[i]->id);
	for (size_t i = 0; i < ntop; i++) {
		const struct run_step *s = top[i];
		double e = run_step_end(s, end) - s->start;
		fprintf(out, "  %2zu. %-*s %9s", i + 1, (int)idw, s->id, fmt_duration(e));
		if (ri->sbu > 0)
			fprintf(out, " %7.2f SBU", e / ri->sbu);
		fprintf(out, "  CPU %9s  %s", s->has_wall ? fmt_duration(s->cpu) : "-", s->stage);
		if (s->status == ST_FAILED || s->status == ST_INTERRUPTED || s->status == ST_RUNNING)
			fprintf(out, "  %s", step_status_name(s->status));
		fputc('\n', out);
	}
	free(top);

	const char *stages[64];
	size_t nst = stage_list(ri, stages, ARRAY_LEN(stages));
	bool header = false;
	for (size_t k = 0; k < nst; k++) {
		size_t count = 0;
		double sw = 0, sc = 0, s0 = 0, s1 = 0;
		for (size_t i = 0; i < nb; i++) {
			const struct run_step *s = bars[i];
			if (strcmp(s->stage, stages[k]))
				continue;
			double e = run_step_end(s, end);
			if (!count || s->start < s0)
				s0 = s->start;
			if (!count || e > s1)
				s1 = e;
			count++;
			sw += e - s->start;
			sc += s->has_wall ? s->cpu : 0;
		}
		if (!count)
			continue;
		if (!header) {
			fprintf(out, "\nper stage:          steps   sum of walls  first start to last end        CPU\n");
			header = true;
		}
		fprintf(out, "  %-16s %7zu   %12s  %22s  %9s\n", stages[k], count, fmt_duration(sw), fmt_duration(s1 - s0),
		        fmt_duration(sc));
	}
	free(bars);
}
