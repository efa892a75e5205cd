/* timeline: logs/timeline.svg, one lane per job slot, stage colours, a time axis. */
#include "watch/timeline.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "watch/lanes.h"

/* The local time of day of `epoch`, HH:MM:SS (four buffers in turn). */
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

/* s as XML text: the five special characters escaped, control characters dropped. */
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

/* Time to x: the busy periods side by side, a gap of gapw between each two. */
struct tmap {
	struct seg *segs;
	size_t n;
	double scale;           /* pixels per second */
	double gapw;            /* the width drawn for a shortened gap */
};

/* The x of time t; a time inside a shortened gap is drawn at the end of the period before. */
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

/* An axis label: 45s, 2m, 2m30s, 1h05m. */
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

/* The index of `stage` in names (0 if absent): its colour among the others. */
static size_t stage_index(const char *const *names, size_t n, const char *stage)
{
	for (size_t k = 0; k < n; k++)
		if (!strcmp(names[k], stage))
			return k;
	return 0;
}

/* The page (pixels): width, left and right margins, a lane and the space between lanes, the
 * top of the first lane, a shortened gap, a character of the labels. */
#define SVG_W 1200.0
#define SVG_ML 70.0
#define SVG_MR 20.0
#define SVG_LANE_H 24.0
#define SVG_LANE_GAP 4.0
#define SVG_TOP 64.0
#define SVG_GAP_W 24.0
#define SVG_CHAR_W 6.6

/* What the page shows and where. */
struct page {
	struct run_step **bars; /* run_bars(): the steps drawn, by start */
	size_t nb;
	struct tmap m;          /* time to x */
	double t0;              /* the first start: 0 on the axis */
	double span;            /* the busy time drawn */
	int lanes;              /* the lanes used, at least -j */
	double lanes_h, axis_y, height;
	const char *stages[64]; /* in order of first appearance: the legend, the colours */
	size_t nst;
};

/* The busy periods of the bars into m->segs: bars that overlap make one period; then idle gaps
 * up to a minute, or 5% of the busy time if more, stay inside a period (longer ones will be
 * shortened on the page). Returns the time the periods span. */
static double busy_periods(struct tmap *m, struct run_step **bars, size_t nb, double end)
{
	double busy = 0;
	for (size_t i = 0; i < nb; i++) {
		double s = bars[i]->start, e = run_step_end(bars[i], end);
		if (m->n && s <= m->segs[m->n - 1].t1) {
			if (e > m->segs[m->n - 1].t1)
				m->segs[m->n - 1].t1 = e;
		} else {
			m->segs[m->n++] = (struct seg){s, e, 0};
		}
	}
	for (size_t k = 0; k < m->n; k++)
		busy += m->segs[k].t1 - m->segs[k].t0;
	double minrun = busy * 0.05 > 60 ? busy * 0.05 : 60;
	size_t w = 0;
	for (size_t k = 0; k < m->n; k++) {
		if (w && m->segs[k].t0 - m->segs[w - 1].t1 <= minrun)
			m->segs[w - 1].t1 = m->segs[k].t1;
		else
			m->segs[w++] = m->segs[k];
	}
	m->n = w;
	double span = 0;
	for (size_t k = 0; k < m->n; k++)
		span += m->segs[k].t1 - m->segs[k].t0;
	return span;
}

/* The scale that makes the periods, and a gap of SVG_GAP_W between each two, fill the plot;
 * where each period starts. */
static void place_periods(struct tmap *m, double span)
{
	double gaps = m->n ? (double)(m->n - 1) * SVG_GAP_W : 0;
	double plot = SVG_W - SVG_ML - SVG_MR - gaps;
	m->scale = span > 0 ? plot / span : 1;
	double x = SVG_ML;
	for (size_t k = 0; k < m->n; k++) {
		m->segs[k].x0 = x;
		x += (m->segs[k].t1 - m->segs[k].t0) * m->scale + SVG_GAP_W;
	}
}

/* The lanes, the bars and the time map of the run; the page's height. */
static void page_layout(struct page *p, struct run_info *ri, double end)
{
	int used = run_lanes(ri, end);
	p->lanes = used > ri->jobs ? used : ri->jobs;
	if (p->lanes < 1)
		p->lanes = 1;
	p->bars = run_bars(ri, &p->nb);
	p->m = (struct tmap){xcalloc(p->nb + 1, sizeof *p->m.segs), 0, 1, SVG_GAP_W};
	p->span = busy_periods(&p->m, p->bars, p->nb, end);
	place_periods(&p->m, p->span);
	p->t0 = p->m.n ? p->m.segs[0].t0 : 0;
	p->nst = run_stages(ri, p->stages, ARRAY_LEN(p->stages));
	p->lanes_h = p->lanes * (SVG_LANE_H + SVG_LANE_GAP);
	p->axis_y = SVG_TOP + p->lanes_h + 2;
	p->height = p->axis_y + 44;
}

/* The SVG element, a white background, the title line. */
static void put_header(FILE *out, const struct run_info *ri, const struct page *p)
{
	fprintf(out, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
	             "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%.0f\" height=\"%.0f\" viewBox=\"0 0 %.0f %.0f\" "
	             "font-family=\"sans-serif\" font-size=\"11\">\n",
	        SVG_W, p->height, SVG_W, p->height);
	fprintf(out, "<rect width=\"100%%\" height=\"100%%\" fill=\"#ffffff\"/>\n");
	size_t ndrawn = 0;
	for (size_t i = 0; i < ri->n; i++)
		ndrawn += ri->steps[i].lane >= 0;
	fprintf(out, "<text x=\"%.0f\" y=\"18\" font-size=\"14\" font-weight=\"bold\">lfsbuild timeline: %zu steps, "
	             "%s busy, %d job slot%s",
	        SVG_ML, ndrawn, fmt_duration(p->span), p->lanes, p->lanes == 1 ? "" : "s");
	if (ri->sbu > 0)
		fprintf(out, ", 1 SBU = %.1f s", ri->sbu);
	fputs("</text>\n", out);
}

/* The stages' colours, then the marks of failed and running steps. */
static void put_legend(FILE *out, const struct page *p)
{
	fputs("<g class=\"legend\">\n", out);
	double lx = SVG_ML;
	for (size_t k = 0; k < p->nst; k++) {
		fprintf(out, "<rect x=\"%.1f\" y=\"30\" width=\"12\" height=\"12\" fill=\"%s\"/>", lx,
		        stage_colour(p->stages[k], k));
		fprintf(out, "<text x=\"%.1f\" y=\"40\">", lx + 16);
		xml_text(out, p->stages[k]);
		fputs("</text>\n", out);
		lx += 16 + SVG_CHAR_W * (double)strlen(p->stages[k]) + 14;
	}
	fprintf(out, "<rect x=\"%.1f\" y=\"30\" width=\"12\" height=\"12\" fill=\"#ffffff\" stroke=\"#d62728\" "
	             "stroke-width=\"2\"/><text x=\"%.1f\" y=\"40\">failed</text>\n",
	        lx, lx + 16);
	lx += 16 + SVG_CHAR_W * 6 + 14;
	fprintf(out, "<rect x=\"%.1f\" y=\"30\" width=\"12\" height=\"12\" fill=\"#cccccc\" stroke=\"#333333\" "
	             "stroke-dasharray=\"3,2\"/><text x=\"%.1f\" y=\"40\">running</text>\n",
	        lx, lx + 16);
	fputs("</g>\n", out);
}

/* A bar's tooltip: the step, its title, its figures. */
static void put_tooltip(FILE *out, const struct run_info *ri, const struct run_step *s, double e)
{
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
	fputs("</title>", out);
}

/* A step's bar at height y: stage colour, outlined by its status, its tooltip, and its id (or
 * the id's last part) when that fits. */
static void put_bar(FILE *out, const struct run_info *ri, const struct page *p, const struct run_step *s, double y,
                    double end)
{
	double e = run_step_end(s, end);
	double x0 = tx(&p->m, s->start), x1 = tx(&p->m, e);
	double bw = x1 - x0 < 1 ? 1 : x1 - x0;
	const char *fill = stage_colour(s->stage, stage_index(p->stages, p->nst, s->stage));
	const char *extra = " stroke=\"#ffffff\" stroke-width=\"1\"";  /* a seam between bars */
	if (s->status == ST_FAILED)
		extra = " stroke=\"#d62728\" stroke-width=\"2\"";
	else if (s->status == ST_INTERRUPTED)
		extra = " stroke=\"#ff7f0e\" stroke-width=\"2\"";
	else if (s->status == ST_RUNNING)
		extra = " stroke=\"#333333\" stroke-dasharray=\"3,2\" fill-opacity=\"0.6\"";
	fprintf(out, "<g class=\"step\"><rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" fill=\"%s\"%s>", x0,
	        y + 1, bw, SVG_LANE_H - 2, fill, extra);
	put_tooltip(out, ri, s, e);
	fputs("</rect>", out);
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

/* Lane l (job slot l + 1): its band, its name, its bars. */
static void put_lane(FILE *out, const struct run_info *ri, const struct page *p, int l, double end)
{
	double y = SVG_TOP + l * (SVG_LANE_H + SVG_LANE_GAP);
	fprintf(out, "<g class=\"lane\" id=\"lane-%d\">\n", l + 1);
	fprintf(out, "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" fill=\"%s\"/>\n", SVG_ML, y,
	        SVG_W - SVG_ML - SVG_MR, SVG_LANE_H, l % 2 ? "#f4f4f4" : "#ebebeb");
	fprintf(out, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"end\">slot %d</text>\n", SVG_ML - 6,
	        y + SVG_LANE_H / 2 + 4, l + 1);
	for (size_t i = 0; i < p->nb; i++)
		if (p->bars[i]->lane == l)
			put_bar(out, ri, p, p->bars[i], y, end);
	fputs("</g>\n", out);
}

/* A mark across the lanes where an idle gap between two busy periods was shortened. */
static void put_gaps(FILE *out, const struct page *p)
{
	const struct tmap *m = &p->m;
	for (size_t k = 0; k + 1 < m->n; k++) {
		double gx = tx(m, m->segs[k].t1), idle = m->segs[k + 1].t0 - m->segs[k].t1;
		fprintf(out, "<g class=\"gap\"><rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" fill=\"#ffffff\" "
		             "stroke=\"#999999\" stroke-dasharray=\"2,2\"><title>idle %s (shortened)</title></rect>"
		             "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\" font-size=\"9\" fill=\"#666666\">idle</text></g>\n",
		        gx + 2, SVG_TOP, SVG_GAP_W - 4, p->lanes_h - SVG_LANE_GAP, fmt_duration(idle), gx + SVG_GAP_W / 2,
		        SVG_TOP - 4);
	}
}

/* The seconds between two ticks: the first round step at least 70 pixels wide. */
static double tick_seconds(double scale)
{
	static const double steps[] = {1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 10800, 21600, 43200, 86400};
	for (size_t k = 0; k < ARRAY_LEN(steps); k++)
		if (steps[k] * scale >= 70)
			return steps[k];
	return steps[ARRAY_LEN(steps) - 1];
}

/* The time axis: time since the first step started, ticks within each busy period. */
static void put_axis(FILE *out, const struct page *p)
{
	const struct tmap *m = &p->m;
	double axis_y = p->axis_y, t0 = p->t0;
	fputs("<g class=\"axis\">\n", out);
	fprintf(out, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#333333\"/>\n", SVG_ML, axis_y,
	        SVG_W - SVG_MR, axis_y);
	double tick = tick_seconds(m->scale);
	for (size_t k = 0; k < m->n; k++) {
		double rel0 = m->segs[k].t0 - t0, rel1 = m->segs[k].t1 - t0;
		for (double r = (double)(long long)((rel0 + tick - 1e-9) / tick) * tick; r <= rel1 + 1e-6; r += tick) {
			double px = tx(m, t0 + r);
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
	fputs("</text>\n</g>\n", out);
}

int run_write_svg(struct run_info *ri, double end, FILE *out)
{
	struct page p = {0};
	page_layout(&p, ri, end);
	put_header(out, ri, &p);
	put_legend(out, &p);
	for (int l = 0; l < p.lanes; l++)
		put_lane(out, ri, &p, l, end);
	put_gaps(out, &p);
	put_axis(out, &p);
	fputs("</svg>\n", out);
	free(p.m.segs);
	free(p.bars);
	return ferror(out) ? -1 : 0;
}
