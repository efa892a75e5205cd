/* statusline: the status lines of `lfsbuild status` and of the TTY status area. */
#include "watch/statusline.h"

#include <stdlib.h>

#include "watch/eta.h"

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
