/* lfsbuild status: show the state of the build, also while another lfsbuild runs */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>

#include "cli/commands.h"
#include "state/state.h"
#include "watch/runinfo.h"
#include "watch/statusline.h"

static const char *ago(double seconds)
{
	return seconds < 1 ? "just now" : fmt_duration(seconds);
}

static void print_clock(const char *label, double epoch)
{
	time_t t = (time_t)epoch;
	struct tm tm;
	char text[32];
	localtime_r(&t, &tm);
	strftime(text, sizeof text, "%Y-%m-%d %H:%M:%S", &tm);
	printf("%s%s", label, text);
}

/* The steps whose stamps say removed (lfsbuild remove): a build leaves them out. */
static void print_removed(const struct config *cfg, const struct run_info *ri)
{
	size_t n = 0;
	for (size_t i = 0; i < ri->n; i++) {
		struct stamp st;
		if (stamp_read(cfg->workdir, ri->steps[i].id, &st) < 0)
			continue;
		bool done = !strcmp(st.result, "removed"), begun = !strcmp(st.result, "removing");
		if ((done || begun) && !n++)
			printf("removed (lfsbuild remove; a build leaves them out, `lfsbuild build STEP` builds one again):\n");
		if (done)
			printf("  %s: %s\n", ri->steps[i].id, st.note ? st.note : "removed");
		else if (begun)
			printf("  %s: removal interrupted: `lfsbuild remove %s` or the next build completes it\n",
			       ri->steps[i].id, ri->steps[i].id);
		stamp_free(&st);
	}
}

static int run(struct config *cfg, int argc, char **argv)
{
	(void)argv;
	if (argc > 0)
		return cli_usage_error(&cmd_status, "status takes no operands");
	struct run_info ri;
	char err[1024];
	if (run_info_load(cfg->workdir, &ri, err, sizeof err) < 0) {
		errorf("%s", err);
		char *w = shell_word(cfg->workdir);
		fprintf(stderr, "lfsbuild: start a build with: lfsbuild -C %s build\n", w);
		free(w);
		return EXIT_FAIL;
	}
	double now = now_wall();
	bool alive = ri.from_json && run_pid_alive(ri.pid);
	bool running = !strcmp(ri.state, "running");
	bool live = running && alive;
	bool dead = ri.from_json && running && !alive;
	printf("work dir: %s\n", cfg->workdir);
	if (!ri.from_json) {
		printf("run:      unknown (no state/run.json); from the stamps and logs/timings.tsv\n");
	} else if (live) {
		printf("run:      running, lfsbuild pid %ld is alive, -j%d", ri.pid, ri.jobs);
		print_clock(", started ", ri.started);
		printf(", last event %s ago\n", ago(now - ri.updated));
	} else {
		if (dead)
			printf("run:      interrupted (lfsbuild is not running: pid %ld is gone)", ri.pid);
		else if (!strcmp(ri.state, "interrupted"))
			printf("run:      interrupted (stopped by a signal)");
		else if (!strcmp(ri.state, "failed"))
			printf("run:      failed");
		else if (!strcmp(ri.state, "done"))
			printf("run:      done");
		else
			printf("run:      %s", ri.state);
		print_clock(", started ", ri.started);
		print_clock(", last event ", ri.updated);
		printf(" (%s ago)\n", ago(now - ri.updated));
	}
	if (ri.command)
		printf("command:  %s\n", ri.command);

	/* A dead build's running steps were interrupted; keep their names for the message. */
	struct strv was_running = {0};
	if (!live) {
		for (size_t i = 0; i < ri.n; i++)
			if (ri.steps[i].status == ST_RUNNING) {
				double ran = ri.updated > ri.steps[i].start ? ri.updated - ri.steps[i].start : 0;
				strv_push(&was_running, xasprintf("%s (ran at least %s)", ri.steps[i].id, fmt_duration(ran)));
				ri.steps[i].status = ST_INTERRUPTED;
			}
	}
	int width = 0;
	struct winsize ws;
	if (isatty(STDOUT_FILENO) && ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 0)
		width = ws.ws_col;
	struct strv lines = {0};
	run_status_lines(&ri, live ? now : ri.updated, live, width, cfg->color && isatty(STDOUT_FILENO), 0, &lines);
	for (size_t i = 0; i < lines.n; i++)
		printf("%s\n", lines.v[i]);
	strv_free(&lines);

	if (was_running.n) {
		printf("were running when it stopped (they run again from a fresh build directory):\n");
		for (size_t i = 0; i < was_running.n; i++)
			printf("  %s\n", was_running.v[i]);
	}
	strv_free(&was_running);
	size_t nfailed = 0;
	for (size_t i = 0; i < ri.n; i++) {
		const struct run_step *s = &ri.steps[i];
		if (s->status != ST_FAILED)
			continue;
		if (!nfailed++)
			printf("failed:\n");
		char *log = s->log ? path_join(cfg->workdir, s->log) : xasprintf("%s/logs/%s.log", cfg->workdir, s->id);
		if (s->exit_code >= 0)
			printf("  %s: exit status %s; log: %s\n", s->id, fmt_exit(s->exit_code), log);
		else
			printf("  %s: could not start; log: %s\n", s->id, log);
		free(log);
	}
	print_removed(cfg, &ri);
	if (!live && ri.from_json && strcmp(ri.state, "done") && ri.command) {
		char *w = shell_word(cfg->workdir);
		if (nfailed)
			printf("fix the cause (`lfsbuild -C %s log STEP` shows a log), then resume with:\n  %s\n", w,
			       ri.command);
		else
			printf("resume with:\n  %s\n", ri.command);
		free(w);
	}
	run_info_free(&ri);
	return EXIT_OK;
}

const struct command cmd_status = {
	"status", "show the state of the build, also while another lfsbuild runs", "",
	"Reads WORKDIR/state/run.json (rewritten by the build at every event) and prints whether the\n"
	"build is running (and its process alive), steps done/total, the running steps with their\n"
	"elapsed time, the failures with their logs and the ETA (the book's SBU figures scaled by the\n"
	"SBU measured here). A build that is no longer running is shown with the command that resumes\n"
	"it. Exit status 0, or 1 when no build has run in WORKDIR. See docs/watching.md.",
	run,
};
