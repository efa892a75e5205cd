/* timeline: logs/timeline.svg, one lane per job slot, stage colours, a time axis. */
#include "watch/timeline.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "watch/lanes.h"

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
	struct run_step **bars = run_bars(ri, &nb);
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
	size_t nst = run_stages(ri, stages, ARRAY_LEN(stages));
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
