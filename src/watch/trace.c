/* trace: logs/trace.json, the run in Chrome trace format (Perfetto), one track per job slot. */
#include "watch/trace.h"

#include <stdlib.h>
#include <string.h>

#include "lib/json.h"
#include "watch/lanes.h"

/* The earliest start of a step: 0 on the trace's clock (ts is microseconds from it). */
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
	for (int k = 0; k < PHASE_N; k++)   /* where measured: a trace without them is unchanged */
		if (s->phases.has[k])
			fprintf(out, ",\"%s_wall_s\":%.3f,\"%s_cpu_s\":%.3f", phase_name((enum phase)k), s->phases.wall[k],
			        phase_name((enum phase)k), s->phases.cpu[k]);
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
