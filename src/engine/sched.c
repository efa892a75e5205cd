/* sched: plan a build (selection, stamps, reasons), run it, report it. */
#include "engine/sched.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "engine/diskspace.h"
#include "lib/exec.h"
#include "engine/graph.h"
#include "engine/jobserver.h"
#include "engine/pressure.h"
#include "book/manifest.h"
#include "watch/progress.h"
#include "book/layer.h"
#include "book/recipe.h"
#include "engine/capture.h"
#include "engine/remove.h"
#include "engine/run.h"
#include "state/settings.h"
#include "state/state.h"
#include "engine/testsum.h"
#include "engine/snapshot.h"
#include "packages/bincache.h"
#include "packages/package.h"
#include "engine/buildfs.h"

struct node {
	enum step_status status;
	bool selected, forced;
	bool named;             /* named by an operand, --only or --from: a removed step is built again */
	bool removed;           /* its stamp says removed (lfsbuild remove) and it is not named: left out */
	char *hash;
	char *pass_hash;        /* what the steps after it have as its hash: inputs_pass_hash() */
	struct strv inputs;
	struct stamp stamp;
	bool have_stamp;
	char *reason;
	char *error;            /* why it could not start */
	double start, wall, cpu;
	long maxrss;
	struct phases phases;   /* of its run in this invocation */
	int exit_code;
	bool ran;               /* started in this invocation */
	bool cached;            /* restored from the binary cache instead of run */
	bool extra;             /* started beyond the job slots (--overcommit): holds no token */
	int icecream;           /* --icecream: 1 went through icecc, 2 would have but built here (why: icecream_failed) */
	char *icecream_failed;
	struct job job;
};

struct build {
	const struct config *cfg;
	struct recipe_set set;
	struct manifest man;
	struct graph g;
	struct jobserver js;
	struct runner run;
	struct node *nodes;
	struct progress *pg;
	size_t nrunning;
	size_t nextra;          /* running steps started beyond the job slots (--overcommit) */
	struct pressure cpu;    /* --overcommit's readings */
	double extra_at;        /* when the last of them started (monotonic s) */
	double started;
	char *command;
	double sbu;
	bool stopping;
	int signal;
	double killed_at;       /* when the running steps were sent SIGTERM */
	size_t total, finished;
	struct step_report *rep;
	int lock;               /* state/lock's descriptor, -1: not taken */
	bool have_set, have_graph, have_js, have_runner;  /* what close_build() frees */
};

static int sig_w = -1;

static void on_signal(int sig)
{
	int e = errno;
	unsigned char c = (unsigned char)sig;
	if (write(sig_w, &c, 1) < 0) {
		/* the pipe is full: a byte is already waiting, which is enough */
	}
	errno = e;
}

/* ---- selection ---- */

/* The steps a spec names: a step id, a stage name, or chN. false if none. */
static bool spec_steps(const struct build *b, const char *spec, bool *out)
{
	bool any = false;
	int st = recipe_set_stage(&b->set, spec);
	char *prefix = xasprintf("%s/", spec);
	for (size_t i = 0; i < b->set.nsteps; i++) {
		const struct recipe *r = &b->set.steps[i];
		if (!strcmp(r->id, spec) || (st >= 0 && r->stage == (size_t)st) || str_starts(r->id, prefix))
			out[i] = any = true;
	}
	free(prefix);
	return any;
}

/* out |= the ancestors of every step already in out. */
static void add_ancestors(const struct build *b, bool *out)
{
	size_t n = b->g.n;
	bool *orig = xcalloc(n, sizeof *orig);
	memcpy(orig, out, n * sizeof *orig);
	for (size_t a = 0; a < n; a++)
		for (size_t x = 0; x < n && !out[a]; x++)
			if (orig[x] && graph_after(&b->g, a, x))
				out[a] = true;
	free(orig);
}

static int bad_spec(const char *what, const char *spec)
{
	fprintf(stderr, "lfsbuild: %s: '%s' is no step, stage or chapter of the book (see `lfsbuild graph`)\n", what,
	        spec);
	return -1;
}

static int select_steps(struct build *b, int argc, char **argv)
{
	const struct config *cfg = b->cfg;
	size_t n = b->g.n;
	bool *sel = xcalloc(n, sizeof *sel), *tmp = xcalloc(n, sizeof *tmp);
	int rc = 0;
	if (argc > 0) {
		for (int k = 0; k < argc; k++) {
			if (!spec_steps(b, argv[k], sel))
				rc = bad_spec("operand", argv[k]);
			int named = recipe_set_find(&b->set, argv[k]);
			if (named >= 0)
				b->nodes[named].named = true;
		}
		add_ancestors(b, sel);
	} else {
		for (size_t i = 0; i < n; i++)
			sel[i] = true;
	}
	if (cfg->until) {
		if (!spec_steps(b, cfg->until, tmp))
			rc = bad_spec("--until", cfg->until);
		add_ancestors(b, tmp);
		for (size_t i = 0; i < n; i++)
			sel[i] = sel[i] && tmp[i];
	}
	if (cfg->only) {
		int k = recipe_set_find(&b->set, cfg->only);
		if (k < 0)
			rc = bad_spec("--only", cfg->only);
		for (size_t i = 0; i < n; i++)
			sel[i] = (int)i == k;
		if (k >= 0)
			b->nodes[k].forced = b->nodes[k].named = true;
	}
	if (cfg->from) {
		int k = recipe_set_find(&b->set, cfg->from);
		if (k < 0)
			rc = bad_spec("--from", cfg->from);
		for (size_t i = 0; k >= 0 && i < n; i++)
			if ((int)i == k || graph_after(&b->g, (size_t)k, i))
				b->nodes[i].forced = true;
		if (k >= 0)
			b->nodes[k].named = true;
	}
	for (size_t i = 0; i < n; i++)
		b->nodes[i].selected = sel[i];
	free(sel);
	free(tmp);
	return rc;
}

/* ---- run.json ---- */

static void write_report(struct build *b, const char *state)
{
	size_t n = b->g.n;
	for (size_t k = 0; k < n; k++) {
		size_t i = b->g.order[k];
		struct node *nd = &b->nodes[i];
		const struct recipe *r = &b->set.steps[i];
		struct step_report *s = &b->rep[k];
		s->id = r->id;
		s->title = r->title;
		s->stage = b->set.stages[r->stage].name;
		s->sbu_book = r->sbu;
		s->sbu_expect = recipe_expected_sbu(r, b->cfg->tests);
		s->status = nd->status;
		s->reason = nd->status == ST_SKIPPED && !nd->removed ? "up to date" : nd->reason;
		if (nd->status == ST_SKIPPED || (nd->status == ST_EXCLUDED && nd->have_stamp)) {
			s->start = nd->stamp.start;
			s->wall = nd->stamp.wall;
			s->cpu = nd->stamp.cpu;
			s->maxrss_kib = nd->stamp.maxrss_kib;
			s->exit_code = nd->have_stamp ? nd->stamp.exit_code : -1;
			s->phases = &nd->stamp.phases;
		} else {
			s->start = nd->start;
			s->wall = nd->wall;
			s->cpu = nd->cpu;
			s->maxrss_kib = nd->maxrss;
			s->exit_code = nd->ran && nd->status != ST_RUNNING ? nd->exit_code : -1;
			s->phases = nd->ran && nd->status != ST_RUNNING ? &nd->phases : NULL;
		}
	}
	struct run_report rr = {getpid(), state, b->command, b->started, now_wall(), b->js.slots, b->sbu, b->rep, n};
	if (run_report_write(b->cfg->workdir, &rr) < 0)
		warnx("cannot write %s/state/run.json:", b->cfg->workdir);
}

/* ---- the steps ---- */

/* Step i as the display hears of it: what the events say and what a status area shows. */
static struct progress_step pstep(struct build *b, size_t i)
{
	const struct recipe *r = &b->set.steps[i];
	struct node *nd = &b->nodes[i];
	return (struct progress_step){
		.id = r->id, .title = r->title, .reason = nd->reason, .wall = nd->wall, .sbu = b->sbu,
		.status = nd->exit_code, .log = nd->job.log_path, .done = b->finished, .total = b->total,
		.running = b->nrunning, .stage = b->set.stages[r->stage].name, .sbu_book = r->sbu,
		.sbu_expect = recipe_expected_sbu(r, b->cfg->tests), .start = nd->start,
	};
}

/* Step i's stamp with `result` (it borrows the node's strings: not to be freed). */
static struct stamp node_stamp(struct build *b, size_t i, const char *result)
{
	struct node *nd = &b->nodes[i];
	struct stamp s = {0};
	s.result = (char *)result;
	s.hash = nd->hash;
	s.inputs = nd->inputs;
	s.start = nd->start;
	s.wall = nd->wall;
	s.cpu = nd->cpu;
	s.maxrss_kib = nd->maxrss;
	s.exit_code = nd->exit_code;
	s.phases = nd->phases;
	s.note = nd->cached && !strcmp(result, "ok") ? nd->reason : NULL;  /* "from cache: ..." */
	return s;
}

static void write_stamp(struct build *b, size_t i, const char *result)
{
	struct stamp s = node_stamp(b, i, result);
	if (stamp_write(b->cfg->workdir, b->set.steps[i].id, &s) < 0)
		warnx("cannot write the stamp of %s:", b->set.steps[i].id);
}

/* Ready: pending, and no step before it (transitively) still to run or running. */
static bool is_ready(struct build *b, size_t i, bool *blocked)
{
	*blocked = false;
	if (b->nodes[i].status != ST_PENDING)
		return false;
	bool ready = true;
	for (size_t a = 0; a < b->g.n; a++) {
		if (!graph_after(&b->g, a, i))
			continue;
		enum step_status st = b->nodes[a].status;
		if (st == ST_FAILED || st == ST_BLOCKED || st == ST_INTERRUPTED)
			*blocked = true;
		if (st == ST_PENDING || st == ST_RUNNING)
			ready = false;
	}
	return ready && !*blocked;
}

/* The ready step to start next: the longest remaining path first, then book order; in
 * --sequential mode the first in execution order. Marks blocked steps on the way. */
static ssize_t pick(struct build *b)
{
	ssize_t best = -1;
	for (size_t k = 0; k < b->g.n; k++) {
		size_t i = b->g.order[k];
		bool blocked;
		bool ready = is_ready(b, i, &blocked);
		if (blocked && b->nodes[i].status == ST_PENDING) {
			b->nodes[i].status = ST_BLOCKED;
			continue;
		}
		if (!ready)
			continue;
		if (b->cfg->sequential)
			return (ssize_t)i;
		if (best < 0 || b->g.crit[i] > b->g.crit[best] + 1e-9 ||
		    (b->g.crit[i] > b->g.crit[best] - 1e-9 && i < (size_t)best))
			best = (ssize_t)i;
	}
	return best;
}

/* Step i's slot back: its token, or nothing for a step started beyond the slots. */
static void give_slot(struct build *b, size_t i)
{
	struct node *nd = &b->nodes[i];
	if (nd->extra) {
		nd->extra = false;
		b->nextra--;
	} else
		jobserver_give(&b->js);
}

/* A step that could not start (or whose preparation failed): failed, its slot given back. */
static void start_failed(struct build *b, size_t i, const char *err, bool counted)
{
	struct node *nd = &b->nodes[i];
	runner_drop_tmpfs(&b->run, &nd->job);
	give_slot(b, i);
	if (counted && --b->nrunning == 0)
		jobserver_reset(&b->js);
	nd->status = ST_FAILED;
	nd->error = xstrdup(err);
	nd->wall = 0;
	b->finished++;
	write_stamp(b, i, "failed");
	struct progress_step s = pstep(b, i);
	b->pg->fail(b->pg, &s);
	fprintf(stderr, "lfsbuild: %s: %s\n", b->set.steps[i].id, err);
	if (!b->cfg->keep_going)
		b->stopping = true;
	write_report(b, "running");
}

/* The file systems a step writes to: its build directory's and $LFS's. */
static void step_paths(struct build *b, char **build_dir, const char *paths[2])
{
	*build_dir = config_path(b->cfg, "build");
	paths[0] = *build_dir;
	paths[1] = b->run.root;
}

/* The disk-space guard: is there room for what step i needs (its `disk` line, or
 * DISK_DEFAULT_NEED) where it writes? If not, the step is failed without starting, with the
 * reason in its log. LFSBUILD_DISK_CHECK=0 turns the guard off. */
static bool disk_guard(struct build *b, size_t i)
{
	const char *off = getenv("LFSBUILD_DISK_CHECK");
	if (off && !strcmp(off, "0"))
		return true;
	const struct recipe *r = &b->set.steps[i];
	unsigned long long need = r->disk ? r->disk : DISK_DEFAULT_NEED;
	char *build_dir;
	const char *paths[2];
	step_paths(b, &build_dir, paths);
	/* A build tree on a tmpfs takes memory, not disk (runner_place weighed it against the
	 * memory): the disk then only needs room for what the step installs into $LFS, which the
	 * book's figure does not tell apart: the default need. */
	struct buildfs_choice place;
	runner_place(&b->run, i, &place);
	if (place.tmpfs) {
		paths[0] = b->run.root;
		need = DISK_DEFAULT_NEED;
	}
	struct buf why = {0};
	int rc = disk_check(paths, place.tmpfs ? 1 : 2, need, &why);
	free(build_dir);
	if (rc == 0)
		return true;
	struct node *nd = &b->nodes[i];
	char *disk_from = place.tmpfs ? xstrdup("the default, for what it installs: its build tree goes on a tmpfs")
	                  : r->disk ? xasprintf("its `disk` line, %s:%d", r->file, r->disk_line)
	                            : xstrdup("the default for a step without a `disk` line");
	char *err = xasprintf("not started, the disk is too full: it %s (%s); free some space and run `%s` again",
	                      why.data, disk_from, b->command);
	nd->job.log_path = runner_log_path(b->cfg, r->id);
	char *dir = xstrdup(nd->job.log_path);
	*strrchr(dir, '/') = '\0';
	char *text = xasprintf("# lfsbuild step %s: %s\nlfsbuild: %s\n", r->id, r->title, err);
	if (mkdir_p(dir, 0755) < 0 || write_file_atomic(nd->job.log_path, text, strlen(text), 0644) < 0)
		warnx("cannot write %s:", nd->job.log_path);
	free(text);
	free(dir);
	start_failed(b, i, err, false);
	free(err);
	free(disk_from);
	buf_free(&why);
	return false;
}

static void start_step(struct build *b, size_t i)
{
	struct node *nd = &b->nodes[i];
	char err[2048];
	nd->ran = true;
	nd->start = now_wall();
	nd->exit_code = -1;
	if (!disk_guard(b, i))
		return;
	write_stamp(b, i, "running");
	/* a step forced by --from or --only is built, never taken from the binary cache */
	if (runner_start(&b->run, i, nd->hash, !nd->forced, &nd->job, err, sizeof err) < 0) {
		start_failed(b, i, err, false);
		return;
	}
	nd->status = ST_RUNNING;
	b->nrunning++;
	struct progress_step s = pstep(b, i);
	b->pg->start(b->pg, &s);
	write_report(b, "running");
}

static void finish_step(struct build *b, size_t i, int wstatus, const struct rusage *ru);
static void kill_running(struct build *b, bool hard);

/* SIGINT or SIGTERM: no step starts any more, the running ones are sent SIGTERM (SIGKILL 10 s
 * later if they are still there). */
static void stop_on_signal(struct build *b, int sig)
{
	b->signal = sig;
	b->stopping = true;
	b->killed_at = now_mono();
	kill_running(b, false);
}

/* The child that prepared step i's build directory has ended: start the step itself. */
static void launch_step(struct build *b, size_t i, int wstatus)
{
	struct node *nd = &b->nodes[i];
	char err[2048];
	/* SIGINT or SIGTERM that reached the preparing child (Ctrl-C's process group, a pkill) and
	 * not yet us: the same as if it had come to lfsbuild (the child's handlers are the default) */
	int psig = WIFSIGNALED(wstatus) ? WTERMSIG(wstatus) : 0;
	if (!b->signal && (psig == SIGINT || psig == SIGTERM))
		stop_on_signal(b, psig);
	if (b->signal) {
		close(nd->job.prep_fd);
		nd->job.prep_fd = -1;
		nd->job.prep_pid = -1;
		struct rusage ru = {0};
		finish_step(b, i, W_EXITCODE(0, b->signal), &ru);
		return;
	}
	int got = runner_launch(&b->run, &nd->job, err, sizeof err);
	if (nd->job.icecream_key)
		nd->icecream = 1;
	else if (nd->job.icecream_failed) {
		nd->icecream = 2;
		free(nd->icecream_failed);
		nd->icecream_failed = xstrdup(nd->job.icecream_failed);
	}
	if (got < 0 && psig) {
		size_t len = strlen(err);
		snprintf(err + len, sizeof err - len, " (the preparing child was killed by %s)", strsignal(psig));
	}
	if (got < 0) {
		start_failed(b, i, err, true);
		return;
	}
	if (got == 1) { /* from the binary cache: nothing runs, its archive is merged now */
		struct rusage ru = {0};   /* its CPU: the preparing child's, which unpacked it */
		ru.ru_utime.tv_sec = (time_t)nd->job.prep_cpu;
		ru.ru_utime.tv_usec = (suseconds_t)((nd->job.prep_cpu - (double)ru.ru_utime.tv_sec) * 1e6);
		finish_step(b, i, 0, &ru);
		return;
	}
	int fl = fcntl(nd->job.out_fd, F_GETFL);
	fcntl(nd->job.out_fd, F_SETFL, fl | O_NONBLOCK);
}

static void maybe_snapshot(struct build *b, size_t stage)
{
	if (!b->cfg->snapshots || b->signal)
		return;
	bool ran = false;
	for (size_t i = 0; i < b->g.n; i++) {
		if (b->set.steps[i].stage != stage)
			continue;
		enum step_status st = b->nodes[i].status;
		if (st != ST_DONE && st != ST_SKIPPED)
			return;
		ran |= st == ST_DONE;
	}
	const char *name = b->set.stages[stage].name;
	char *dir = config_path(b->cfg, "snapshots");
	char *file = xasprintf("%s/%s.tar.zst", dir, name);
	if (ran || !path_exists(file)) {
		char *msg = xasprintf("snapshot of %s at the end of stage %s ...", b->run.root, name);
		b->pg->note(b->pg, msg);
		free(msg);
		char err[1024];
		double t0 = now_mono();
		if (mkdir_p(dir, 0755) < 0 || snapshot_create(b->run.root, file, err, sizeof err) < 0) {
			warnx("snapshot of stage %s failed: %s", name, err);
		} else {
			msg = xasprintf("snapshot %s written in %s (lfsbuild restore %s puts it back)", file,
			                fmt_duration(now_mono() - t0), name);
			b->pg->note(b->pg, msg);
			free(msg);
		}
	}
	free(file);
	free(dir);
}

static void finish_step(struct build *b, size_t i, int wstatus, const struct rusage *ru)
{
	struct node *nd = &b->nodes[i];
	nd->wall = now_mono() - nd->job.start_mono;
	nd->cpu = (double)ru->ru_utime.tv_sec + ru->ru_utime.tv_usec / 1e6 + (double)ru->ru_stime.tv_sec +
	          ru->ru_stime.tv_usec / 1e6;
	nd->maxrss = ru->ru_maxrss;
	nd->exit_code = WIFEXITED(wstatus) ? WEXITSTATUS(wstatus) : WIFSIGNALED(wstatus) ? 128 + WTERMSIG(wstatus) : 255;
	const struct recipe *r = &b->set.steps[i];
	char *cached = nd->job.from_cache ? xasprintf("from cache: %s %s %s", r->id, nd->job.version, nd->job.hash) : NULL;
	/* the stamp a success writes: a captured step's merge journal keeps it (capture_merge);
	 * runner_finish puts the phases it measured into it */
	struct stamp ok = node_stamp(b, i, "ok");
	ok.exit_code = 0;
	ok.note = cached;
	nd->exit_code = runner_finish(&b->run, &nd->job, nd->exit_code, nd->wall, nd->cpu, nd->maxrss, &ok);
	nd->phases = nd->job.phases;
	nd->job.log_path = runner_log_path(b->cfg, b->set.steps[i].id);
	give_slot(b, i);
	b->nrunning--;
	if (b->nrunning == 0)
		jobserver_reset(&b->js);
	b->finished++;
	if (b->signal && nd->exit_code != 0) {
		nd->status = ST_INTERRUPTED;
		write_stamp(b, i, "interrupted");
		struct progress_step s = pstep(b, i);
		if (b->pg->interrupted)
			b->pg->interrupted(b->pg, &s);
	} else if (nd->exit_code == 0) {
		nd->status = ST_DONE;
		if (cached) {   /* the reason line, also run.json's reason and the stamp's note */
			free(nd->reason);
			nd->reason = cached;
			cached = NULL;
			nd->cached = true;
			b->pg->note(b->pg, nd->reason);
		} else if (r->sbu_reference) {   /* book/ch5/binutils-pass1.recipe: `sbu-reference yes` */
			b->sbu = nd->wall;
			sbu_write(b->cfg->workdir, b->sbu);
		}
		write_stamp(b, i, "ok");
		struct progress_step s = pstep(b, i);
		b->pg->done(b->pg, &s);
	} else {
		nd->status = ST_FAILED;
		write_stamp(b, i, "failed");
		struct progress_step s = pstep(b, i);
		b->pg->fail(b->pg, &s);
		if (!b->cfg->keep_going)
			b->stopping = true;
	}
	struct step_report rep = {r->id, r->title, b->set.stages[r->stage].name, r->sbu,
	                          recipe_expected_sbu(r, b->cfg->tests), nd->status, nd->reason,
	                          nd->start, nd->wall, nd->cpu, nd->maxrss, nd->exit_code, &nd->phases};
	timings_append(b->cfg->workdir, &rep, b->sbu);
	write_report(b, "running");
	free(cached);
	if (nd->status == ST_DONE)
		maybe_snapshot(b, r->stage);
}

static void reap(struct build *b)
{
	for (size_t i = 0; i < b->g.n; i++) {
		struct node *nd = &b->nodes[i];
		if (nd->status != ST_RUNNING)
			continue;
		int ws;
		struct rusage ru;
		if (nd->job.prep_pid > 0) {
			if (wait4(nd->job.prep_pid, &ws, WNOHANG, &ru) == nd->job.prep_pid) {
				nd->job.prep_cpu = (double)ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 +
				                   (double)ru.ru_stime.tv_sec + ru.ru_stime.tv_usec / 1e6;
				launch_step(b, i, ws);
			}
			continue;
		}
		pid_t p = wait4(nd->job.pid, &ws, WNOHANG, &ru);
		if (p == nd->job.pid)
			finish_step(b, i, ws, &ru);
	}
}

/* Stop the running steps (runner_kill: SIGTERM to the sandbox's process, which takes the step's
 * whole pid namespace down before it exits; `hard`: SIGKILL to it and to the init of its
 * namespace, whose end kills everything in it; we are a child subreaper, so the orphaned init is
 * ours to wait for). */
static void kill_running(struct build *b, bool hard)
{
	for (size_t i = 0; i < b->g.n; i++)
		if (b->nodes[i].status == ST_RUNNING)
			runner_kill(&b->nodes[i].job, hard);
}

/* --overcommit: may the ready step i start beyond the job slots now? At most cfg->overcommit
 * such steps at once, one every PRESSURE_GAP seconds, each only when the readings of the last
 * window (engine/pressure.h) say that cores idle and the CPU is not contended. */
#define PRESSURE_GAP 10.0
static bool may_overcommit(struct build *b, size_t i)
{
	if (b->cfg->overcommit <= 0 || b->cfg->sequential || b->nextra >= (size_t)b->cfg->overcommit)
		return false;
	double now = now_mono();
	if (b->extra_at > 0 && now - b->extra_at < PRESSURE_GAP)
		return false;
	char why[160];
	if (!pressure_room(&b->cpu, now, why, sizeof why))
		return false;
	b->nodes[i].extra = true;
	b->nextra++;
	b->extra_at = now;
	pressure_init(&b->cpu); /* the next decision reads the cores with this step running */
	char *note = xasprintf("%s starts beyond the %d job slot%s: %s (--overcommit %d)", b->set.steps[i].id, b->js.slots,
	                       b->js.slots == 1 ? "" : "s", why, b->cfg->overcommit);
	if (b->pg->note)
		b->pg->note(b->pg, note);
	free(note);
	return true;
}

static void loop(struct build *b, int sig_r)
{
	size_t n = b->g.n;
	struct pollfd *pfd = xcalloc(n + 2, sizeof *pfd);
	size_t *who = xcalloc(n + 2, sizeof *who);
	for (;;) {
		bool want_token = false;
		while (!b->stopping && !(b->cfg->sequential && b->nrunning > 0)) {
			ssize_t i = pick(b);
			if (i < 0)
				break;
			if (!jobserver_take(&b->js) && !may_overcommit(b, (size_t)i)) {
				want_token = true;
				break;
			}
			start_step(b, (size_t)i);
		}
		if (b->nrunning == 0 && !want_token)
			break;
		size_t np = 0;
		pfd[np++] = (struct pollfd){sig_r, POLLIN, 0};
		if (want_token && !b->stopping)
			pfd[np++] = (struct pollfd){b->js.rfd, POLLIN, 0};
		for (size_t i = 0; i < n; i++)
			if (b->nodes[i].status == ST_RUNNING && b->nodes[i].job.out_fd >= 0) {
				who[np] = i;
				pfd[np++] = (struct pollfd){b->nodes[i].job.out_fd, POLLIN, 0};
			}
		int r = poll(pfd, np, b->nrunning ? 1000 : -1);
		if (r < 0 && errno != EINTR)
			die("poll:");
		for (size_t k = 0; r > 0 && k < np; k++) {
			if (!pfd[k].revents)
				continue;
			if (pfd[k].fd == sig_r) {
				unsigned char sigs[64];
				ssize_t m = read(sig_r, sigs, sizeof sigs);
				for (ssize_t q = 0; q < m; q++)
					if ((sigs[q] == SIGINT || sigs[q] == SIGTERM) && !b->signal)
						stop_on_signal(b, sigs[q]);
			} else if (pfd[k].fd != b->js.rfd) {
				struct job *job = &b->nodes[who[k]].job;
				if (!runner_drain(job)) {
					close(job->out_fd);
					job->out_fd = -1;
				}
			}
		}
		/* SIGCHLD may have come while we were busy: reap in any case (cheap, WNOHANG). */
		reap(b);
		if (b->pg->tick)
			b->pg->tick(b->pg);
		if (b->killed_at > 0 && now_mono() - b->killed_at > 10 && b->nrunning) {
			kill_running(b, true); /* SIGTERM was not enough */
			b->killed_at = now_mono();
		}
	}
	free(pfd);
	free(who);
}

/* As root, user-mode steps run as the build uid: it must be able to reach the work directory. */
static int check_reachable(struct build *b)
{
	if (!b->run.as_root)
		return 0;
	bool any = false;
	for (size_t i = 0; i < b->g.n && !any; i++)
		any = b->nodes[i].status == ST_PENDING && b->set.steps[i].mode == MODE_USER;
	if (!any)
		return 0;
	char *p = xstrdup(b->cfg->workdir);
	int rc = 0;
	for (char *slash = p; slash; slash = strchr(slash + 1, '/')) {
		char save = slash[1];
		slash[1] = '\0';
		struct stat st;
		if (stat(p, &st) == 0) {
			bool ok = (st.st_mode & S_IXOTH) || (st.st_uid == b->run.uid && (st.st_mode & S_IXUSR)) ||
			          (st.st_gid == b->run.gid && (st.st_mode & S_IXGRP));
			if (!ok) {
				size_t len = strlen(p);
				if (len > 1 && p[len - 1] == '/')
					p[len - 1] = '\0';
				errorf("the build uid %u, which runs chapters 4 to 6, cannot enter %s (mode %04o): use a work "
				       "directory it can reach (e.g. -C /var/tmp/lfs), or chmod o+x %s; nothing was run",
				       (unsigned)b->run.uid, p, (unsigned)(st.st_mode & 07777), p);
				rc = -1;
			}
		}
		slash[1] = save;
		if (rc < 0 || !save)
			break;
	}
	free(p);
	return rc;
}

/* ---- stamps and reasons ---- */

/* Each step's inputs, their hash against its stamp, and so the reason it runs (NULL: up to date):
 * the status ST_EXCLUDED (not selected), ST_SKIPPED or ST_PENDING. --from invalidates the stamps
 * of what it forces first. -1 if an input could not be read (said). */
static int reasons(struct build *b);

/* Does step i's stamp say removed (lfsbuild remove)? */
static bool stamp_removed(const struct build *b, size_t i)
{
	struct stamp st;
	if (stamp_read(b->cfg->workdir, b->set.steps[i].id, &st) < 0)
		return false;
	bool removed = !strcmp(st.result, "removed");
	stamp_free(&st);
	return removed;
}

static int stamps_and_reasons(struct build *b)
{
	if (b->cfg->from) {
		char *note = xasprintf("forced by --from %s", b->cfg->from);
		for (size_t i = 0; i < b->g.n; i++)
			if (b->nodes[i].forced && b->nodes[i].selected && (b->nodes[i].named || !stamp_removed(b, i)))
				stamp_invalidate(b->cfg->workdir, b->set.steps[i].id, note);
		free(note);
	}
	return reasons(b);
}

/* The loop of stamps_and_reasons(): inputs, hash, stamp, reason and status of every step. */
static int reasons(struct build *b)
{
	size_t n = b->g.n;
	int rc = 0;
	for (size_t k = 0; k < n; k++) {
		size_t i = b->g.order[k];
		struct node *nd = &b->nodes[i];
		nd->exit_code = -1;
		nd->have_stamp = stamp_read(b->cfg->workdir, b->set.steps[i].id, &nd->stamp) == 0;
		size_t nd_n = b->g.ndeps[i];
		char **ids = xcalloc(nd_n + 1, sizeof *ids), **hashes = xcalloc(nd_n + 1, sizeof *hashes);
		for (size_t d = 0; d < nd_n; d++) {
			size_t j = b->g.deps[i][d];
			ids[d] = b->set.steps[j].id;
			hashes[d] = b->nodes[j].pass_hash;
		}
		if (runner_inputs(&b->run, i, ids, hashes, nd_n, nd->have_stamp ? &nd->stamp.inputs : NULL, &nd->inputs) < 0)
			rc = -1;
		free(ids);
		free(hashes);
		nd->hash = inputs_hash(&nd->inputs);
		nd->pass_hash = inputs_pass_hash(&nd->inputs);
		nd->reason = stamp_reason(&nd->stamp, nd->have_stamp, &nd->inputs, nd->hash);
		if (!nd->reason && nd->forced)
			nd->reason = xstrdup(b->cfg->only ? "--only" : "forced");
		nd->removed = nd->have_stamp && !strcmp(nd->stamp.result, "removed") && !nd->named;
		if (nd->removed) {   /* left out until named (docs/engine.md, "Removing a step") */
			free(nd->reason);
			nd->reason = xasprintf("removed by lfsbuild remove; `lfsbuild build %s` builds it again",
			                       b->set.steps[i].id);
		}
		if (!nd->selected)
			nd->status = ST_EXCLUDED;
		else if (!nd->reason || nd->removed)
			nd->status = ST_SKIPPED;
		else
			nd->status = ST_PENDING;
	}
	return rc;
}

/* Is the log at path, its "# " lines aside, only the line "lfsbuild: ERROR"? That is the log of a
 * step that failed before its script ran: the triage has just printed that line. */
static bool log_is_only(const char *path, const char *error)
{
	size_t len;
	char *text = read_file(path, &len);
	if (!text)
		return false;
	struct buf rest = {0};
	for (char *line = text, *nl; *line; line = nl ? nl + 1 : line + strlen(line)) {
		nl = strchr(line, '\n');
		size_t n = nl ? (size_t)(nl - line) : strlen(line);
		if (n >= 2 && line[0] == '#' && line[1] == ' ')
			continue;
		buf_printf(&rest, "%.*s\n", (int)n, line);
		if (!nl)
			break;
	}
	char *want = xasprintf("lfsbuild: %s\n", error);
	bool same = rest.data && !strcmp(rest.data, want);
	free(want);
	buf_free(&rest);
	free(text);
	return same;
}

static void print_tail(const char *path, int lines, FILE *out)
{
	size_t len;
	char *text = read_file(path, &len);
	if (!text) {
		fprintf(out, "  (no log: %s)\n", path);
		return;
	}
	size_t start = len;
	int count = 0;
	if (start && text[start - 1] == '\n')
		start--;
	while (start > 0 && count < lines) {
		if (text[start - 1] == '\n')
			count++;
		if (count < lines)
			start--;
	}
	fprintf(out, "---- last %d lines of %s ----\n%s", lines, path, text + start);
	if (len && text[len - 1] != '\n')
		fputc('\n', out);
	fprintf(out, "----\n");
	free(text);
}

char *sched_resume_command(const struct config *cfg, int argc, char **argv)
{
	struct strv a = {0};
	strv_add(&a, "lfsbuild");
	strv_add(&a, "-C");
	strv_add(&a, cfg->workdir);
	char exe[PATH_MAX];
	ssize_t len = readlink("/proc/self/exe", exe, sizeof exe - 1);
	if (len > 0) {
		exe[len] = '\0';
		*strrchr(exe, '/') = '\0';
		char *def = path_join(exe, "book");
		if (strcmp(def, cfg->bookdir)) {
			strv_add(&a, "--book");
			strv_add(&a, cfg->bookdir);
		}
		free(def);
	}
	char *defsrc = path_join(cfg->workdir, "sources");
	if (strcmp(defsrc, cfg->sources)) {
		strv_add(&a, "--sources");
		strv_add(&a, cfg->sources);
	}
	free(defsrc);
	strv_add(&a, "build");
	strv_push(&a, xasprintf("-j%d", cfg->jobs));
	if (cfg->sequential)
		strv_add(&a, "--sequential");
	if (cfg->keep_going)
		strv_add(&a, "-k");
	if (cfg->tests)
		strv_add(&a, "--tests");
	if (cfg->keep)
		strv_add(&a, "--keep");
	if (cfg->snapshots)
		strv_add(&a, "--snapshots");
	const char *more[] = {"capture", "cache", "cache-url"};
	for (size_t k = 0; k < ARRAY_LEN(more); k++)
		if (config_on_command_line(more[k])) {
			const char *v = config_string(cfg, more[k]);
			strv_push(&a, xasprintf("--%s", more[k]));
			strv_add(&a, v ? v : "");
		}
	if (config_on_command_line("icecream"))   /* --icecream=VALUE: the form an optional argument takes */
		strv_push(&a, xasprintf("--icecream=%s", cfg->icecream ? cfg->icecream : "off"));
	if (config_on_command_line("overcommit"))
		strv_push(&a, xasprintf("--overcommit=%d", cfg->overcommit));
	if (config_on_command_line("icecream-jobs"))
		strv_push(&a, xasprintf("--icecream-jobs=%d", cfg->icecream_jobs));
	if (cfg->until) {
		strv_add(&a, "--until");
		strv_add(&a, cfg->until);
	}
	if (cfg->only) {
		strv_add(&a, "--only");
		strv_add(&a, cfg->only);
	}
	/* The settings are kept in state/settings, but lfsbuild.conf would override a kept value that
	 * the command line gave: repeat those (never the root password, kept in WORKDIR/root-password). */
	for (const char *const *o = settings_options; *o; o++)
		if (config_on_command_line(*o)) {
			const char *v = config_string(cfg, *o);
			strv_push(&a, xasprintf("--%s", *o));
			strv_add(&a, v ? v : "");
		}
	for (int k = 0; k < argc; k++)
		strv_add(&a, argv[k]);
	char *s = exec_cmdline(a.v);
	strv_free(&a);
	return s;
}

/* The two signals a failed step's exit code (128+N) most often carries: what they mean, what to do. */
static void signal_hint(int code, const char *id)
{
	if (code == 128 + SIGPIPE)
		fprintf(stderr, "lfsbuild: SIGPIPE: a command of %s wrote into a pipe whose reader had already exited "
		        "(`cmd | head -n1` is the usual one). The step's shell runs with `set -o pipefail`, so the pipeline "
		        "and the step fail, but only when the writer is still writing as the reader leaves: another run may "
		        "pass. Mend the recipe: let the writer stop by itself (sed's `q`, awk's `exit`, `grep -m1`) or read "
		        "all of its output.\n", id);
	else if (code == 128 + SIGKILL)
		fprintf(stderr, "lfsbuild: SIGKILL: %s or one of its commands was killed from outside; if nobody did, "
		        "the kernel's out-of-memory killer may have (see `dmesg`): fewer jobs (-j) or more memory.\n", id);
}

/* After a failure: did the disk fill up? (less than DISK_LOW free where the step writes, or
 * "No space left on device" at the end of its log or in the reason it could not start) */
static void disk_hint(struct build *b, size_t i, const char *log)
{
	struct node *nd = &b->nodes[i];
	if (nd->error && str_starts(nd->error, "not started, the disk is too full"))
		return; /* the guard said it all */
	char *build_dir;
	const char *paths[2];
	step_paths(b, &build_dir, paths);
	unsigned long long avail = 0;
	int k = disk_fullest(paths, 2, &avail);
	bool said = disk_log_says_full(log) || (nd->error && strstr(nd->error, "No space left on device"));
	if (k >= 0 && (avail < DISK_LOW || said)) {
		const struct recipe *r = &b->set.steps[i];
		char *mnt = disk_mount_point(paths[k]);
		char *flat = step_flat_id(r->id);
		fprintf(stderr,
		        "lfsbuild: the disk filled up: %s free on %s (%s)%s; %s needs about %s (%s). Free some space (its "
		        "build directory %s/build/%s is not needed any more: the step starts afresh), then resume.\n",
		        fmt_bytes((double)avail), mnt, paths[k], said ? " and \"No space left on device\" in its log" : "",
		        r->id, fmt_bytes((double)(r->disk ? r->disk : DISK_DEFAULT_NEED)),
		        r->disk ? "its `disk` line" : "the default for a step without a `disk` line", b->cfg->workdir, flat);
		free(flat);
		free(mnt);
	}
	free(build_dir);
}

static void triage(struct build *b, int argc, char **argv)
{
	char *resume = sched_resume_command(b->cfg, argc, argv);
	size_t nfailed = 0, nblocked = 0;
	for (size_t k = 0; k < b->g.n; k++) {
		size_t i = b->g.order[k];
		struct node *nd = &b->nodes[i];
		if (nd->status == ST_BLOCKED)
			nblocked++;
		if (nd->status != ST_FAILED)
			continue;
		nfailed++;
		char *log = runner_log_path(b->cfg, b->set.steps[i].id);
		fprintf(stderr, "\nlfsbuild: step %s (%s) failed: ", b->set.steps[i].id, b->set.steps[i].title);
		if (nd->error)
			fprintf(stderr, "%s\n", nd->error);
		else
			fprintf(stderr, "exit status %s\n", fmt_exit(nd->exit_code));
		if (!nd->error || !log_is_only(log, nd->error))
			print_tail(log, 30, stderr);
		if (!nd->error)
			signal_hint(nd->exit_code, b->set.steps[i].id);
		disk_hint(b, i, log);
		if (b->set.steps[i].mode != MODE_CHROOT && file_tail_contains(log, 1 << 20, "Read-only file system"))
			fprintf(stderr, "lfsbuild: %s tried to write outside $LFS and its build directory: a step of mode %s sees "
			                "the rest of the host read-only (docs/sandbox.md), and the host was not changed. "
			                "The recipe must install under $LFS.\n",
			        b->set.steps[i].id, step_mode_name(b->set.steps[i].mode));
		fprintf(stderr, "full log: %s\nrecipe:   %s\n", log, b->set.steps[i].file);
		free(log);
	}
	if (nblocked)
		fprintf(stderr, "lfsbuild: %zu step%s not run because a step before %s failed\n", nblocked,
		        nblocked == 1 ? " was" : "s were", nblocked == 1 ? "it" : "them");
	if (nfailed)
		fprintf(stderr, "lfsbuild: fix the cause above, then resume with:\n  %s\n", resume);
	free(resume);
}

/* ---- the build (sched_build(), at the end, reads top to bottom) ---- */

/* --only runs the step whatever comes before it: say when that is not up to date. */
static void warn_only_stale(struct build *b)
{
	const char *only = b->cfg->only;
	int k = only ? recipe_set_find(&b->set, only) : -1;
	if (k < 0)
		return;
	struct buf stale = {0};
	size_t count = 0;
	for (size_t a = 0; a < b->g.n; a++)
		if (graph_after(&b->g, a, (size_t)k) && b->nodes[a].reason && count++ < 3)
			buf_printf(&stale, "%s%s (%s)", stale.len ? ", " : "", b->set.steps[a].id, b->nodes[a].reason);
	if (count)
		warnx("--only %s: %zu step%s before it %s not up to date: %s%s", only, count, count == 1 ? "" : "s",
		      count == 1 ? "is" : "are", stale.data, count > 3 ? ", ..." : "");
	buf_free(&stale);
}

/* The display's plan: the selected steps in execution order, with their stages and SBU figures. */
static void give_plan(struct build *b)
{
	if (!b->pg->plan)
		return;
	struct progress_step *steps = xcalloc(b->g.n + 1, sizeof *steps);
	size_t n = 0;
	for (size_t k = 0; k < b->g.n; k++) {
		size_t i = b->g.order[k];
		if (b->nodes[i].selected)
			steps[n++] = pstep(b, i);
	}
	struct progress_plan plan = {steps, n, b->started, b->js.slots, b->sbu};
	b->pg->plan(b->pg, &plan);
	free(steps);
}

/* Say what will happen: the plan, then a skip or run line per selected step. Before anything
 * starts, every source of the steps that will run must be in the cache and the build uid must
 * reach the work directory: -1 (said) if not, else run.json says the run has begun. */
static int announce(struct build *b)
{
	give_plan(b);
	bool ready = true;
	for (size_t k = 0; k < b->g.n; k++) {
		size_t i = b->g.order[k];
		struct node *nd = &b->nodes[i];
		if (nd->selected)
			b->total++;
		struct progress_step s = pstep(b, i);
		if (nd->status == ST_SKIPPED) {
			b->finished++;
			s.reason = nd->removed ? nd->reason : "up to date";
			b->pg->skip(b->pg, &s);
		} else if (nd->status == ST_PENDING) {
			b->pg->run(b->pg, &s);
			if (!runner_sources_ready(&b->run, i))
				ready = false;
		}
	}
	if (!ready) {
		fprintf(stderr, "lfsbuild: sources are missing (above); nothing was run. `lfsbuild fetch` gets them all.\n");
		return -1;
	}
	if (check_reachable(b) < 0)
		return -1;
	write_report(b, "running");
	return 0;
}

/* The run: SIGINT and SIGTERM (and SIGCHLD, to wake the loop up) become bytes on a pipe the loop
 * polls, SIGPIPE is ignored, and we are the subreaper of what the steps leave behind; the loop
 * runs the steps; then the old handlers are back and, after a signal, the last orphans gone. */
static void run_steps(struct build *b)
{
	prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0);
	int sp[2];
	if (pipe2(sp, O_CLOEXEC | O_NONBLOCK) < 0)
		die("pipe:");
	sig_w = sp[1];
	struct sigaction sa = {0}, old_int, old_term, old_chld, old_pipe;
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sa.sa_flags = SA_RESTART;
	sigaction(SIGINT, &sa, &old_int);
	sigaction(SIGTERM, &sa, &old_term);
	sa.sa_flags = SA_RESTART | SA_NOCLDSTOP;
	sigaction(SIGCHLD, &sa, &old_chld);
	struct sigaction ign = {0};
	ign.sa_handler = SIG_IGN;
	sigaction(SIGPIPE, &ign, &old_pipe);

	loop(b, sp[0]);
	icecream_stop(&b->run.ice);   /* before the orphans are waited for: it is a child too */

	sigaction(SIGINT, &old_int, NULL);
	sigaction(SIGTERM, &old_term, NULL);
	sigaction(SIGCHLD, &old_chld, NULL);
	sigaction(SIGPIPE, &old_pipe, NULL);
	close(sp[0]);
	close(sp[1]);
	sig_w = -1;
	if (b->signal)
		runner_wait_orphans();
}

/* The end: run.json's last state, then how to resume after a signal, the triage of the failures,
 * or the line that says the build is complete; then the tests' summary. The exit status. */
static void icecream_end(struct build *b);

static int end_build(struct build *b, int argc, char **argv)
{
	const struct config *cfg = b->cfg;
	int rc;
	icecream_end(b);
	size_t nfailed = 0, ndone = 0, ncached = 0;
	for (size_t i = 0; i < b->g.n; i++) {
		nfailed += b->nodes[i].status == ST_FAILED;
		ndone += b->nodes[i].status == ST_DONE;
		ncached += b->nodes[i].status == ST_DONE && b->nodes[i].cached;
	}
	if (b->signal) {
		write_report(b, "interrupted");
		char *resume = sched_resume_command(cfg, argc, argv);
		fprintf(stderr, "\nlfsbuild: interrupted by %s; the steps that were running will run again from a fresh "
		                "build directory.\nResume with:\n  %s\n",
		        b->signal == SIGINT ? "SIGINT" : "SIGTERM", resume);
		free(resume);
		rc = 128 + b->signal;
	} else if (nfailed) {
		write_report(b, "failed");
		triage(b, argc, argv);
		rc = EXIT_FAILURE;
	} else {
		write_report(b, "done");
		if (!cfg->quiet) {
			char *from = ncached ? xasprintf(" (%zu from the cache)", ncached) : xstrdup("");
			char *msg = xasprintf("build complete: %zu step%s run%s, %zu up to date, in %s", ndone,
			                      ndone == 1 ? "" : "s", from, b->finished - ndone, fmt_duration(now_wall() - b->started));
			free(from);
			b->pg->note(b->pg, msg);
			free(msg);
		}
		rc = EXIT_SUCCESS;
	}
	/* logs/tests/summary.txt (with --tests, or to mark the lines of an earlier one again) */
	char *tests_note = testsum_after_build(cfg->workdir, &b->set, b->started, cfg->tests);
	if (tests_note)
		b->pg->note(b->pg, tests_note);
	free(tests_note);
	return rc;
}

/* The settings of the new system kept in state/settings (under the lock, before any step runs),
 * the changes said. -1 if they cannot be written (said). */
static int keep_settings(struct build *b)
{
	struct strv notes = {0};
	char err[1024];
	int rc = settings_keep(b->cfg, &notes, err, sizeof err);
	if (rc < 0)
		errorf("%s", err);
	for (size_t i = 0; i < notes.n; i++)
		b->pg->note(b->pg, notes.v[i]);
	strv_free(&notes);
	return rc;
}

/* --icecream, before the first step: which of the steps to run go through icecc and which are
 * built here (those whose recipe says `icecream no` named, with why), the client prepared, the
 * local daemon started (or its socket checked). -1 (said) when it cannot be used. */
static int icecream_begin(struct build *b)
{
	struct icecream *ice = &b->run.ice;
	if (ice->kind == ICECREAM_OFF)
		return 0;
	size_t through = 0, here = 0;
	struct buf no = {0};
	for (size_t k = 0; k < b->g.n; k++) {
		size_t i = b->g.order[k];
		if (b->nodes[i].status != ST_PENDING)
			continue;
		const char *why = runner_icecream_reason(&b->run, i);
		if (!why) {
			through++;
			continue;
		}
		here++;
		if (b->set.steps[i].no_icecream)
			buf_printf(&no, "%s%s (%s)", no.len ? "; " : "", b->set.steps[i].id, why);
	}
	char *msg = xasprintf("icecream: %zu of the %zu steps to run go through icecc, %zu %s built here%s%s", through,
	                      through + here, here, here == 1 ? "is" : "are", no.len ? "; by their recipe (icecream no): " : "",
	                      no.len ? no.data : "");
	b->pg->note(b->pg, msg);
	free(msg);
	buf_free(&no);
	if (!through)
		return 0;
	char err[2048];
	struct strv notes = {0};
	int rc = icecream_prepare(ice, b->set.stages, b->set.nstages, b->run.uid, b->run.gid, err, sizeof err);
	if (rc == 0)
		rc = icecream_start(ice, b->run.uid, b->run.gid, &notes, err, sizeof err);
	for (size_t k = 0; k < notes.n; k++)
		b->pg->note(b->pg, notes.v[k]);
	strv_free(&notes);
	if (rc < 0)
		errorf("%s; nothing was run", err);
	return rc;
}

/* --icecream, at the end: the steps that went through icecc, and those that would have but were
 * built here (why is in their log and was said when they started). */
static void icecream_end(struct build *b)
{
	if (b->run.ice.kind == ICECREAM_OFF)
		return;
	struct buf through = {0}, fell = {0};
	size_t n = 0;
	for (size_t k = 0; k < b->g.n; k++) {
		size_t i = b->g.order[k];
		if (b->nodes[i].icecream == 1) {
			buf_printf(&through, " %s", b->set.steps[i].id);
			n++;
		} else if (b->nodes[i].icecream == 2) {
			buf_printf(&fell, " %s", b->set.steps[i].id);
		}
	}
	char *msg = xasprintf("icecream: %zu step%s went through icecc:%s%s%s", n, n == 1 ? "" : "s",
	                      through.len ? through.data : " none", fell.len ? "; built here instead (see their logs):" : "",
	                      fell.len ? fell.data : "");
	b->pg->note(b->pg, msg);
	free(msg);
	buf_free(&through);
	buf_free(&fell);
}

/* Build: which steps (the selection), under the lock, why each runs or not (stamps and
 * reasons), say so, run them, end. The exit status. */
static int build_steps(struct build *b, int argc, char **argv)
{
	if (select_steps(b, argc, argv) < 0)
		return 2;
	b->lock = state_lock_take(b->cfg->workdir, "build", "nothing was built");
	if (b->lock < 0)
		return EXIT_FAILURE;
	/* a merge that a SIGKILL interrupted is completed before anything else (docs/engine.md) */
	if (capture_recover(b->cfg->workdir, b->run.root, stdout) < 0)
		return EXIT_FAILURE;
	/* and so is a removal (lfsbuild remove) */
	if (remove_recover(b->cfg->workdir, b->run.root, &b->set, stdout) < 0)
		return EXIT_FAILURE;
	if (b->run.capture) { /* what a killed writer of archives left */
		bincache_sweep(b->run.packages, true);
		bincache_sweep(b->run.cache_dir, false);
	}
	if (keep_settings(b) < 0)
		return EXIT_FAILURE;
	if (stamps_and_reasons(b) < 0)
		return EXIT_FAILURE;
	b->sbu = sbu_read(b->cfg->workdir);
	b->command = sched_resume_command(b->cfg, argc, argv);
	warn_only_stale(b);
	if (announce(b) < 0)
		return EXIT_FAILURE;
	if (icecream_begin(b) < 0)
		return EXIT_FAILURE;
	run_steps(b);
	return end_build(b, argc, argv);
}

/* --explain with --capture on: the step's package archive, and whether a cache directory has it. */
static void explain_archive(struct build *b, size_t k)
{
	char *v = runner_step_version(&b->run, k);
	struct package_id id = {b->set.steps[k].id, v, b->nodes[k].hash, NULL};
	char *name = package_file_name(&id), *found = NULL;
	const char *dirs[] = {b->run.packages, b->run.cache_dir};
	for (size_t d = 0; d < ARRAY_LEN(dirs) && !found; d++) {
		char *p = path_join(dirs[d], name);
		if (path_exists(p))
			found = p;
		else
			free(p);
	}
	if (found)
		printf("its package archive: %s (a build unpacks it instead of running the step, unless --from or --only "
		       "forces the step)\n", found);
	else if (strcmp(b->run.packages, b->run.cache_dir))
		printf("its package archive: %s, in neither %s nor %s%s\n", name, b->run.packages, b->run.cache_dir,
		       b->cfg->cache_url ? " (a build asks --cache-url for it)" : "");
	else
		printf("its package archive: %s, not in %s%s\n", name, b->run.packages,
		       b->cfg->cache_url ? " (a build asks --cache-url for it)" : "");
	free(found);
	free(name);
	free(v);
}

/* --explain STEP: what its inputs are and whether it is up to date. The exit status. */
static int explain(struct build *b)
{
	int k = recipe_set_find(&b->set, b->cfg->explain);
	if (k < 0) {
		bad_spec("--explain", b->cfg->explain);
		return 2;
	}
	/* Why it would run (as a build without --from would say), and its inputs. */
	if (reasons(b) < 0)
		return EXIT_FAILURE;
	const struct node *nd = &b->nodes[k];
	if (nd->removed)
		printf("%s was removed (lfsbuild remove): a build leaves it out unless it names it (lfsbuild build %s)\n",
		       b->set.steps[k].id, b->set.steps[k].id);
	else if (nd->reason)
		printf("%s would run: %s\n", b->set.steps[k].id, nd->reason);
	else
		printf("%s is up to date (a build skips it)\n", b->set.steps[k].id);
	printf("inputs (their sha256, the step's hash: %s):\n", nd->hash);
	for (size_t q = 0; q < nd->inputs.n; q++)
		printf("  %s\n", nd->inputs.v[q]);
	if (b->run.capture && !b->set.steps[k].no_capture)
		explain_archive(b, (size_t)k);
	putchar('\n');
	return runner_explain(&b->run, (size_t)k, stdout) < 0 ? EXIT_FAILURE : EXIT_SUCCESS;
}

/* The book, its graph, the jobserver and the runner. 0, or -1 (said). */
static int open_build(struct build *b)
{
	if (book_open(b->cfg->bookdir, &b->cfg->layers, &b->set, &b->man) < 0)
		return -1;
	b->have_set = true;
	if (graph_build(&b->set, &b->g) < 0)
		return -1;
	b->have_graph = true;
	b->nodes = xcalloc(b->g.n + 1, sizeof *b->nodes);
	b->rep = xcalloc(b->g.n + 1, sizeof *b->rep);
	pressure_init(&b->cpu);
	if (jobserver_open(&b->js, b->cfg->jobs) < 0) {
		errorf("cannot create the jobserver pipe:");
		return -1;
	}
	b->have_js = true;
	int r = runner_init(&b->run, b->cfg, &b->set, &b->man, &b->js);
	b->have_runner = true; /* what it set up is freed also when it refused an option */
	if (r < 0)
		return -1;
	return 0;
}

static void close_build(struct build *b)
{
	if (b->lock >= 0)
		close(b->lock);
	for (size_t i = 0; b->nodes && i < b->g.n; i++) {
		struct node *nd = &b->nodes[i];
		free(nd->hash);
		free(nd->pass_hash);
		strv_free(&nd->inputs);
		stamp_free(&nd->stamp);
		free(nd->reason);
		free(nd->error);
		free(nd->icecream_failed);
		runner_job_free(&nd->job);
	}
	free(b->nodes);
	free(b->rep);
	free(b->command);
	if (b->have_runner)
		runner_free(&b->run);
	if (b->have_js)
		jobserver_close(&b->js);
	if (b->have_graph)
		graph_free(&b->g);
	if (b->have_set) {
		manifest_free(&b->man);
		recipe_set_free(&b->set);
	}
}

int sched_build(const struct config *cfg, int argc, char **argv, struct progress *pg)
{
	struct build b = {.cfg = cfg, .pg = pg, .started = now_wall(), .lock = -1};
	int rc = EXIT_FAILURE;
	if (open_build(&b) == 0)
		rc = cfg->explain ? explain(&b) : build_steps(&b, argc, argv);
	close_build(&b);
	return rc;
}
