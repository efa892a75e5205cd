/* progress: plain timestamped lines, one per event. */
#include "watch/progress.h"

#include <time.h>

#include "lib/util.h"

static void stamp(FILE *out)
{
	time_t t = time(NULL);
	struct tm tm;
	localtime_r(&t, &tm);
	fprintf(out, "[%02d:%02d:%02d] ", tm.tm_hour, tm.tm_min, tm.tm_sec);
}

static void skip(struct progress *p, const struct progress_step *s)
{
	if (p->quiet)
		return;
	stamp(p->out);
	fprintf(p->out, "skip  %s (%s)\n", s->id, s->reason ? s->reason : "up to date");
	fflush(p->out);
}

static void run(struct progress *p, const struct progress_step *s)
{
	if (p->quiet)
		return;
	stamp(p->out);
	fprintf(p->out, "run   %s (%s)\n", s->id, s->reason ? s->reason : "new");
	fflush(p->out);
}

static void start(struct progress *p, const struct progress_step *s)
{
	if (p->quiet)
		return;
	stamp(p->out);
	fprintf(p->out, "start %s\n", s->id);
	fflush(p->out);
}

static void done(struct progress *p, const struct progress_step *s)
{
	if (p->quiet)
		return;
	stamp(p->out);
	fprintf(p->out, "done  %s %.1fs", s->id, s->wall);
	if (s->sbu > 0)
		fprintf(p->out, " (%.1f SBU)", s->wall / s->sbu);
	fprintf(p->out, " [%zu/%zu]\n", s->done, s->total);
	fflush(p->out);
}

static void fail(struct progress *p, const struct progress_step *s)
{
	stamp(p->out);
	if (s->status < 0)
		fprintf(p->out, "FAIL  %s could not start (log: %s)\n", s->id, s->log);
	else
		fprintf(p->out, "FAIL  %s exit %s after %.1fs (log: %s)\n", s->id, fmt_exit(s->status), s->wall, s->log);
	fflush(p->out);
}

static void note(struct progress *p, const char *text)
{
	if (p->quiet)
		return;
	stamp(p->out);
	fprintf(p->out, "%s\n", text);
	fflush(p->out);
}

void progress_plain_init(struct progress *p, FILE *out, bool quiet, int verbose)
{
	*p = (struct progress){.skip = skip, .run = run, .start = start, .done = done, .fail = fail, .note = note,
	                       .out = out, .quiet = quiet, .verbose = verbose};
}
