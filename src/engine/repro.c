/* repro: a step built again on a scratch copy of the root as it was before it, its captured
 * output compared with its package archive (docs/engine.md, "Reproducibility"). */
#include "engine/repro.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "book/layer.h"
#include "book/manifest.h"
#include "book/recipe.h"
#include "engine/capture.h"
#include "engine/graph.h"
#include "engine/jobserver.h"
#include "engine/pkgdb.h"
#include "engine/run.h"
#include "lib/exec.h"
#include "lib/json.h"
#include "packages/filelist.h"
#include "packages/package.h"
#include "state/state.h"

/* diffoscope's report covers at most the first this many files whose content differs, */
#define DIFFOSCOPE_FILES 50
/* ... each compared for at most this many seconds, */
#define DIFFOSCOPE_SECONDS 120
/* ... all of them in at most this many. */
#define DIFFOSCOPE_BUDGET 600
/* After SIGTERM, a step still running this long gets SIGKILL (as in a build). */
#define KILL_GRACE 10.0

/* A step that ran before the one checked: its archive is unpacked and merged into the scratch
 * root, or (capture no) it runs again there. */
struct earlier {
	size_t step;
	char *archive;          /* NULL: run again */
	char *version;
	struct stamp stamp;
};

/* A step to check, and the plan of its scratch root. */
struct check {
	size_t step;
	struct stamp stamp;
	char *version, *archive;
	struct earlier *e;
	size_t ne;
	size_t narchives, nruns;
	struct strv left_out;   /* removed steps not in the scratch root: "ch8/x (removed by lfsbuild remove)" */
};

struct repro {
	struct config *cfg;
	struct recipe_set set;
	struct manifest man;
	struct graph g;
	struct jobserver js;
	struct runner run;
	struct pkgdb db;
	bool have_set, have_graph, have_js, have_runner, have_db;
	int lock;
	char *logs;             /* WORKDIR/logs/repro */
	int sig_r;              /* the self-pipe SIGINT and SIGTERM write to */
	int signal;             /* the first of them that came */
};

static int sig_w = -1;
static volatile sig_atomic_t got_signal;

static void on_signal(int sig)
{
	int e = errno;
	if (!got_signal)
		got_signal = sig;
	unsigned char c = (unsigned char)sig;
	if (write(sig_w, &c, 1) < 0) {
		/* the pipe is full: a byte is already waiting */
	}
	errno = e;
}

/* Has SIGINT or SIGTERM come? */
static bool interrupted(struct repro *rp)
{
	if (got_signal && !rp->signal)
		rp->signal = got_signal;
	return rp->signal != 0;
}

/* Progress, on stderr (the results go to stdout), unless -q. */
static void say(struct repro *rp, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void say(struct repro *rp, const char *fmt, ...)
{
	if (rp->cfg->quiet)
		return;
	va_list ap;
	va_start(ap, fmt);
	fprintf(stderr, "lfsbuild repro: ");
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
}

static const char *step_id(const struct repro *rp, size_t i)
{
	return rp->set.steps[i].id;
}

/* WORKDIR/repro/<flat id>: the scratch directory of a check (malloc'd). */
static char *scratch_dir(const struct repro *rp, size_t i)
{
	char *flat = step_flat_id(step_id(rp, i));
	char *d = xasprintf("%s/repro/%s", rp->cfg->workdir, flat);
	free(flat);
	return d;
}

/* ---- the plan: what the step was built from, and whether that can be made again ---- */

/* The steps before one checked that give the scratch root nothing it can be made from. */
struct missing {
	struct strv why;        /* "STEP (why)" */
	size_t *step;
	size_t n;
};

static void add_missing(struct missing *m, size_t step, char *why)
{
	strv_push(&m->why, why);
	m->step = xrealloc(m->step, (m->n + 1) * sizeof *m->step);
	m->step[m->n++] = step;
}

/* The stamp's dependency lines "dep ID HASH" split into ids and hashes (pointing into the stamp). */
static size_t stamp_deps(const struct stamp *st, char ***ids, char ***hashes)
{
	*ids = xcalloc(st->inputs.n + 1, sizeof **ids);
	*hashes = xcalloc(st->inputs.n + 1, sizeof **hashes);
	size_t n = 0;
	for (size_t k = 0; k < st->inputs.n; k++) {
		const char *l = st->inputs.v[k];
		const char *sp = str_starts(l, "dep ") ? strchr(l + 4, ' ') : NULL;
		if (!sp)
			continue;
		(*ids)[n] = xstrndup(l + 4, (size_t)(sp - l - 4));
		(*hashes)[n++] = xstrdup(sp + 1);
	}
	return n;
}

static void free_deps(char **ids, char **hashes, size_t n)
{
	for (size_t k = 0; k < n; k++) {
		free(ids[k]);
		free(hashes[k]);
	}
	free(ids);
	free(hashes);
}

/* --tests as step i was built: its stamp's `tests on` (a recipe without %test has no such line). */
static void tests_as_built(struct repro *rp, const struct stamp *st)
{
	rp->cfg->tests = strv_contains(&st->inputs, "tests on");
}

/* Are step i's own inputs (its recipe, stage, files, sources, settings, tests; its dependencies'
 * hashes as its stamp recorded them) still those its stamp was built from? NULL if so, else why
 * not (malloc'd: "recipe changed", ...). Sets --tests as the stamp says, for the run. */
static char *inputs_changed(struct repro *rp, size_t i, const struct stamp *st)
{
	char **ids, **hashes;
	size_t n = stamp_deps(st, &ids, &hashes);
	tests_as_built(rp, st);
	struct strv inputs = {0};
	char *why = NULL;
	if (runner_inputs(&rp->run, i, ids, hashes, n, &st->inputs, &inputs) < 0) {
		why = xstrdup("a source of it is not in the manifest (above)");
	} else {
		char *h = inputs_hash(&inputs);
		why = stamp_reason(st, true, &inputs, h);
		free(h);
	}
	strv_free(&inputs);
	free_deps(ids, hashes, n);
	return why;
}

/* The package archive of step i built with `hash`: WORKDIR/packages/NAME (malloc'd), its version
 * into *version. */
static char *archive_of(struct repro *rp, size_t i, const char *hash, char **version)
{
	*version = runner_step_version(&rp->run, i);
	struct package_id id = {step_id(rp, i), *version, hash, NULL};
	char *name = package_file_name(&id), *p = path_join(rp->run.packages, name);
	free(name);
	return p;
}

/* Step i's list in the package database, or NULL. */
static const struct pkg_list *list_of(const struct repro *rp, size_t i)
{
	ssize_t k = pkgdb_find_list(&rp->db, step_id(rp, i));
	return k < 0 ? NULL : &rp->db.lists[k];
}

/* The step named: checkable (0), or -1 with the reason in `why`. */
static int plan_step(struct repro *rp, struct check *c, struct buf *why)
{
	size_t i = c->step;
	const struct recipe *rc = &rp->set.steps[i];
	const char *id = rc->id;
	if (rc->no_capture) {
		buf_printf(why, "its recipe says `capture no` (it writes into the root directly): there is no package archive to "
		                "compare with");
		return -1;
	}
	if (stamp_read(rp->cfg->workdir, id, &c->stamp) < 0) {
		buf_printf(why, "it has not been built (no stamp %s/state/stamps/%s.stamp)", rp->cfg->workdir, id);
		return -1;
	}
	if (!strcmp(c->stamp.result, "removed") || !strcmp(c->stamp.result, "removing")) {
		buf_printf(why, "it was removed by lfsbuild remove (`lfsbuild build --capture on %s` builds it again)", id);
		return -1;
	}
	if (strcmp(c->stamp.result, "ok")) {
		buf_printf(why, "its last build did not succeed (its stamp says %s): `lfsbuild build --capture on %s` first",
		           c->stamp.result, id);
		return -1;
	}
	const struct pkg_list *l = list_of(rp, i);
	if (!l || l->stale) {
		buf_printf(why, "it has no package archive to compare with: %s without --capture on (`lfsbuild build "
		                "--capture on --from %s` builds it, and what comes after it, again with archives)",
		           l ? "its last build ran" : "it was built", id);
		return -1;
	}
	char *changed = inputs_changed(rp, i, &c->stamp);
	if (changed) {
		buf_printf(why, "its inputs changed since it was built (%s), so its archive is not what they build now: "
		                "`lfsbuild build --capture on %s` first", changed, id);
		free(changed);
		return -1;
	}
	c->archive = archive_of(rp, i, c->stamp.hash, &c->version);
	if (!path_exists(c->archive)) {
		buf_printf(why, "its package archive %s is missing (`lfsbuild build --capture on --from %s` makes it again)",
		           c->archive, id);
		return -1;
	}
	if (!runner_sources_ready(&rp->run, i)) {   /* each missing one said */
		buf_printf(why, "not all of its sources are in the cache (above): `lfsbuild fetch`");
		return -1;
	}
	return 0;
}

/* Did step j run before the checked step c: a dependency of it, or merged (its list written) before
 * c started? Without a list: a dependency, or started before c. */
static bool ran_before(const struct repro *rp, const struct check *c, size_t j, const struct pkg_list *l,
                       const struct stamp *st)
{
	if (graph_after(&rp->g, j, c->step))
		return true;
	return l ? l->mtime < c->stamp.start : st->start < c->stamp.start;
}

/* The steps before c, in the order of their merges (the lists' times: engine/pkgdb.h), each with
 * its archive or to run again; those that have neither (built without --capture on, an archive
 * missing, a recipe changed since) go into `missing`, one "STEP (why)" each. */
static void plan_earlier(struct repro *rp, struct check *c, struct missing *missing)
{
	c->e = xcalloc(rp->db.n + 1, sizeof *c->e);
	for (size_t k = 0; k < rp->db.n; k++) {
		const struct pkg_list *l = &rp->db.lists[k];
		size_t j = l->book_index;
		if (j == c->step || !l->result || !ran_before(rp, c, j, l, NULL))
			continue;
		if (l->removed) {
			strv_push(&c->left_out, xasprintf("%s (removed by lfsbuild remove)", l->id));
			continue;
		}
		if (strcmp(l->result, "ok")) {   /* failed or interrupted since: its captured writes never reached the root */
			if (graph_after(&rp->g, j, c->step))
				add_missing(missing, j, xasprintf("%s (its last build did not succeed: its stamp says %s)", l->id, l->result));
			continue;
		}
		if (l->stale) {
			add_missing(missing, j, xasprintf("%s (its last build ran without --capture on)", l->id));
			continue;
		}
		struct earlier *e = &c->e[c->ne];
		e->step = j;
		if (stamp_read(rp->cfg->workdir, l->id, &e->stamp) < 0) {
			add_missing(missing, j, xasprintf("%s (its stamp cannot be read)", l->id));
			memset(e, 0, sizeof *e);
			continue;
		}
		if (!l->captured) {
			char *changed = inputs_changed(rp, j, &e->stamp);
			if (changed) {
				add_missing(missing, j, xasprintf("%s (capture no: it would run again, but its inputs changed since: "
				                                  "%s)", l->id, changed));
				free(changed);
				stamp_free(&e->stamp);
				memset(e, 0, sizeof *e);
				continue;
			}
			c->nruns++;
		} else {
			e->archive = archive_of(rp, j, e->stamp.hash, &e->version);
			if (!path_exists(e->archive)) {
				add_missing(missing, j, xasprintf("%s (its package archive %s is missing)", l->id, e->archive));
				free(e->archive);
				free(e->version);
				stamp_free(&e->stamp);
				memset(e, 0, sizeof *e);
				continue;
			}
			c->narchives++;
		}
		c->ne++;
	}
	/* steps with a stamp but no list at all: built without --capture on */
	for (size_t j = 0; j < rp->set.nsteps; j++) {
		struct stamp st;
		if (j == c->step || list_of(rp, j) || stamp_read(rp->cfg->workdir, step_id(rp, j), &st) < 0)
			continue;
		bool counts = !strcmp(st.result, "ok") && ran_before(rp, c, j, NULL, &st);
		stamp_free(&st);
		if (counts)
			add_missing(missing, j, xasprintf("%s (no file list: built without --capture on)", step_id(rp, j)));
	}
}

/* Every step of the scratch root (and the step checked) must have been built on the ones before it
 * as they are now: a dependency built again since (with other inputs) would give another root.
 * Says each such pair into `missing`. */
static void plan_chain(struct repro *rp, struct check *c, struct missing *missing)
{
	for (size_t k = 0; k <= c->ne; k++) {
		const struct stamp *st = k < c->ne ? &c->e[k].stamp : &c->stamp;
		size_t who = k < c->ne ? c->e[k].step : c->step;
		char **ids, **hashes;
		size_t n = stamp_deps(st, &ids, &hashes);
		for (size_t d = 0; d < n; d++)
			for (size_t q = 0; q < c->ne; q++) {
				if (strcmp(step_id(rp, c->e[q].step), ids[d]))
					continue;
				char *passed = inputs_pass_hash(&c->e[q].stamp.inputs); /* what a later step records */
				if (strcmp(passed, hashes[d]))
					add_missing(missing, who, xasprintf("%s (built on %s as it was before that was built again)",
					                                    step_id(rp, who), ids[d]));
				free(passed);
			}
		free_deps(ids, hashes, n);
	}
}

static void check_free(struct check *c)
{
	stamp_free(&c->stamp);
	free(c->version);
	free(c->archive);
	for (size_t k = 0; k < c->ne; k++) {
		free(c->e[k].archive);
		free(c->e[k].version);
		stamp_free(&c->e[k].stamp);
	}
	free(c->e);
	strv_free(&c->left_out);
}

/* ---- running a step alone, as a build runs it ---- */

/* Wait for `pid` (WNOHANG polling) while serving the signal pipe and draining `job`'s output when
 * it has one; a signal kills the step (SIGTERM, then SIGKILL after KILL_GRACE). The wait status. */
static int wait_job(struct repro *rp, struct job *job, pid_t pid, struct rusage *ru)
{
	double killed_at = 0;
	for (;;) {
		int ws;
		if (wait4(pid, &ws, WNOHANG, ru) == pid)
			return ws;
		struct pollfd pfd[2] = {{rp->sig_r, POLLIN, 0}, {job->out_fd, POLLIN, 0}};
		int r = poll(pfd, job->out_fd >= 0 && pid == job->pid ? 2 : 1, 200);
		if (r < 0 && errno != EINTR)
			die("poll:");
		if (pfd[0].revents & POLLIN) {
			unsigned char sigs[64];
			if (read(rp->sig_r, sigs, sizeof sigs) < 0) {
				/* nothing to read after all */
			}
		}
		if (job->out_fd >= 0 && pid == job->pid && (pfd[1].revents & (POLLIN | POLLHUP | POLLERR)) &&
		    !runner_drain(job)) {
			close(job->out_fd);
			job->out_fd = -1;
		}
		if (interrupted(rp) && killed_at == 0) {
			runner_kill(job, false);
			killed_at = now_mono();
		} else if (killed_at > 0 && now_mono() - killed_at > KILL_GRACE) {
			runner_kill(job, true);
			killed_at = now_mono();
		}
	}
}

/* Run step i (input hash `hash`) through the runner, alone, as a build does: runner_start (its log
 * in logs/repro/, its build directory prepared by a child), runner_launch, the output drained,
 * runner_finish. Its exit status (128+N for a signal), or -1 when it could not start (errbuf). */
static int run_step(struct repro *rp, size_t i, const char *hash, char *errbuf, size_t errlen)
{
	struct runner *r = &rp->run;
	const struct recipe *rc = &rp->set.steps[i];
	/* in the user modes the sandbox makes the step's build directory's place in the work directory
	 * as a mount point (runner_scratch): an empty directory, removed after unless it was there */
	char *flat = step_flat_id(rc->id), *place = xasprintf("%s/build/%s", rp->cfg->workdir, flat);
	struct stat pst;
	bool had_place = rc->mode == MODE_CHROOT || lstat(place, &pst) == 0;
	free(flat);
	struct job job;
	jobserver_take(&rp->js);   /* the step's own slot, as the scheduler takes one per step */
	int code = -1;
	if (runner_start(r, i, hash, false, &job, errbuf, errlen) < 0) {
		runner_drop_tmpfs(r, &job);
		if (job.log_fd >= 0)
			close(job.log_fd);
		runner_job_free(&job);
		goto out;
	}
	struct rusage ru = {0};
	wait_job(rp, &job, job.prep_pid, &ru);
	job.prep_cpu = (double)ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 + (double)ru.ru_stime.tv_sec +
	               ru.ru_stime.tv_usec / 1e6;
	int ws = 0;
	memset(&ru, 0, sizeof ru);
	if (interrupted(rp)) {
		close(job.prep_fd);
		job.prep_fd = -1;
		job.prep_pid = -1;
		ws = W_EXITCODE(0, rp->signal);
	} else if (runner_launch(r, &job, errbuf, errlen) != 0) {
		ws = W_EXITCODE(1, 0);
	} else {
		int fl = fcntl(job.out_fd, F_GETFL);
		fcntl(job.out_fd, F_SETFL, fl | O_NONBLOCK);
		ws = wait_job(rp, &job, job.pid, &ru);
	}
	double wall = now_mono() - job.start_mono;
	double cpu = (double)ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 + (double)ru.ru_stime.tv_sec +
	             ru.ru_stime.tv_usec / 1e6;
	code = WIFEXITED(ws) ? WEXITSTATUS(ws) : WIFSIGNALED(ws) ? 128 + WTERMSIG(ws) : 255;
	/* a tmpfs build tree is copied to the disk after a failure (for a look): only worth it with --keep */
	if (!rp->cfg->keep)
		runner_drop_tmpfs(r, &job);
	code = runner_finish(r, &job, code, wall, cpu, ru.ru_maxrss, NULL);
	if (code != 0 && !interrupted(rp))
		set_error(errbuf, errlen, "exit status %s", fmt_exit(code));
out:
	jobserver_give(&rp->js);
	jobserver_reset(&rp->js);
	if (!had_place)
		rmdir(place);
	free(place);
	return code;
}

/* ---- the scratch root ---- */

/* An earlier step's archive checked and unpacked into its capture directory under `scratch`, then
 * merged into the scratch root as a build merges (engine/capture.h). */
static int unpack_and_merge(struct repro *rp, const char *scratch, const struct earlier *e, char *errbuf, size_t errlen)
{
	const char *id = step_id(rp, e->step);
	char *root = path_join(scratch, "root"), *dir = capture_dir(scratch, id), *upper = path_join(dir, "upper");
	struct package_id pid = {id, e->version, e->stamp.hash, NULL};
	int rc = -1, fd = -1;
	if (capture_prepare(scratch, id, root, errbuf, errlen) < 0)
		goto out;
	if ((fd = open(e->archive, O_RDONLY | O_CLOEXEC)) < 0) {
		set_error(errbuf, errlen, "cannot open %s: %s", e->archive, strerror(errno));
		goto out;
	}
	if (package_unpack(fd, e->archive, &pid, upper, errbuf, errlen) < 0)
		goto out;
	rc = capture_merge(scratch, id, root, NULL, NULL, errbuf, errlen);
out:
	if (fd >= 0)
		close(fd);
	free(root);
	free(dir);
	free(upper);
	return rc;
}

/* The scratch root of c: every earlier step's archive merged, or the step run again, in order. 0,
 * or -1 (said). */
static int make_root(struct repro *rp, const struct check *c, const char *scratch, char *errbuf, size_t errlen)
{
	char err[2048];
	for (size_t k = 0; k < c->ne && !interrupted(rp); k++) {
		const struct earlier *e = &c->e[k];
		const char *id = step_id(rp, e->step);
		/* the root as a build has it before that step: the build uid's for chapters 4 to 6 */
		if (runner_prepare_root(&rp->run, e->step, err, sizeof err) < 0)
			return set_error(errbuf, errlen, "the scratch root cannot be made: %s: %s", id, err);
		if (e->archive) {
			if (unpack_and_merge(rp, scratch, e, err, sizeof err) < 0)
				return set_error(errbuf, errlen, "the scratch root cannot be made: %s: %s", id, err);
			continue;
		}
		say(rp, "%s: running %s again in the scratch root (`capture no`: it has no archive; log %s/%s.log)",
		    step_id(rp, c->step), id, rp->logs, id);
		tests_as_built(rp, &e->stamp);
		int code = run_step(rp, e->step, e->stamp.hash, err, sizeof err);
		if (code != 0 && !interrupted(rp))
			return set_error(errbuf, errlen, "the scratch root cannot be made: %s failed there: %s (log %s/%s.log)",
			                 id, err, rp->logs, id);
	}
	return 0;
}

/* ---- the comparison ---- */

static const char *type_word(char t)
{
	switch (t) {
	case 'f': return "a file";
	case 'd': return "a directory";
	case 'l': return "a symlink";
	case 'c': return "a character device";
	case 'b': return "a block device";
	case 'p': return "a FIFO";
	case 's': return "a socket";
	case '-': return "deleted";
	}
	return "?";
}

/* Left out of the comparison: sockets (no package archive holds one), and in the chroot the
 * directories the sandbox mounts its own file systems on (dev, proc, sys, run, build: made in the
 * overlay when the root has none, nothing below them reaches it). */
static bool ignored(const struct filelist_entry *e, enum step_mode mode)
{
	static const char *const mounts[] = {"dev", "proc", "sys", "run", "build"};
	if (e->type == 's')
		return true;
	for (size_t k = 0; mode == MODE_CHROOT && e->type == 'd' && k < ARRAY_LEN(mounts); k++)
		if (!strcmp(e->path, mounts[k]))
			return true;
	return false;
}

/* What differs between the first build's entry `a` and the rebuild's `b` (either NULL: absent),
 * as words into `out` (nothing: the same), and its kinds into `kinds`. */
static void describe(const struct filelist_entry *a, const struct filelist_entry *b, struct buf *out,
                     struct strv *kinds)
{
	if (!a || !b) {
		const struct filelist_entry *e = a ? a : b;
		buf_printf(out, "only in the %s (%s)", a ? "first build" : "rebuild", type_word(e->type));
		strv_add(kinds, a ? "only-first" : "only-rebuild");
		return;
	}
	if (a->type != b->type) {
		buf_printf(out, "%s in the first build, %s in the rebuild", type_word(a->type), type_word(b->type));
		strv_add(kinds, "type");
		return;
	}
	if (a->type == '-')
		return;
	const char *sep = "";
	if (a->type == 'f' && (strcmp(a->sha256, b->sha256) || a->size != b->size)) {
		buf_printf(out, "content (sha256 %.12s, %llu bytes in the first build; %.12s, %llu bytes in the rebuild)",
		           a->sha256, a->size, b->sha256, b->size);
		strv_add(kinds, "content");
		sep = "; ";
	}
	if (a->mode != b->mode) {
		buf_printf(out, "%smode %04o in the first build, %04o in the rebuild", sep, a->mode, b->mode);
		strv_add(kinds, "mode");
		sep = "; ";
	}
	if (a->uid != b->uid || a->gid != b->gid) {
		buf_printf(out, "%sowner %lu:%lu in the first build, %lu:%lu in the rebuild", sep, a->uid, a->gid, b->uid,
		           b->gid);
		strv_add(kinds, "owner");
		sep = "; ";
	}
	if (a->type == 'l' && strcmp(a->target, b->target)) {
		buf_printf(out, "%slink target %s in the first build, %s in the rebuild", sep, a->target, b->target);
		strv_add(kinds, "target");
	}
}

static json_t *entry_json(const struct filelist_entry *e)
{
	if (!e)
		return json_null();
	char mode[8], type[2] = {e->type, 0};
	snprintf(mode, sizeof mode, "%04o", e->mode);
	json_t *o = json_object();
	json_object_set_new(o, "type", json_string(type));
	json_object_set_new(o, "mode", json_string(mode));
	json_object_set_new(o, "uid", json_integer((json_int_t)e->uid));
	json_object_set_new(o, "gid", json_integer((json_int_t)e->gid));
	if (e->type == 'f') {
		json_object_set_new(o, "size", json_integer((json_int_t)e->size));
		json_object_set_new(o, "sha256", json_string(e->sha256));
	}
	if (e->type == 'l')
		json_object_set_new(o, "target", json_text(e->target));
	return o;
}

/* The differences of one check. */
struct diff {
	struct strv lines;      /* "PATH: what differs" */
	struct strv files;      /* the paths of files whose content differs (for diffoscope) */
	json_t *paths;          /* [{"path", "differs": [kinds], "first": {...}|null, "rebuild": {...}|null}] */
};

/* Compare the two lists (capture_list_tree of the first build's tree and of the rebuild's). */
static int compare(char *first, char *rebuild, enum step_mode mode, struct diff *d, char *errbuf, size_t errlen)
{
	struct filelist fa = {0}, fb = {0};
	struct buf why = {0};
	int rc = -1;
	if (filelist_parse(first, &fa, &why) < 0 || filelist_parse(rebuild, &fb, &why) < 0) {
		set_error(errbuf, errlen, "a file list does not parse: %s", why.data ? why.data : "?");
		goto out;
	}
	d->paths = json_array();
	for (size_t x = 0, y = 0; x < fa.n || y < fb.n;) {
		int c = x == fa.n ? 1 : y == fb.n ? -1 : strcmp(fa.v[x].path, fb.v[y].path);
		const struct filelist_entry *a = c <= 0 ? &fa.v[x++] : NULL, *b = c >= 0 ? &fb.v[y++] : NULL;
		if ((a && ignored(a, mode)) || (b && ignored(b, mode)))
			continue;
		struct buf what = {0};
		struct strv kinds = {0};
		describe(a, b, &what, &kinds);
		if (what.len) {
			const char *path = a ? a->path : b->path;
			strv_push(&d->lines, xasprintf("%s: %s", path, what.data));
			if (strv_contains(&kinds, "content"))
				strv_add(&d->files, path);
			json_t *o = json_object(), *k = json_array();
			json_object_set_new(o, "path", json_text(path));
			for (size_t q = 0; q < kinds.n; q++)
				json_array_append_new(k, json_string(kinds.v[q]));
			json_object_set_new(o, "differs", k);
			json_object_set_new(o, "first", entry_json(a));
			json_object_set_new(o, "rebuild", entry_json(b));
			json_array_append_new(d->paths, o);
		}
		buf_free(&what);
		strv_free(&kinds);
	}
	rc = 0;
out:
	filelist_free(&fa);
	filelist_free(&fb);
	buf_free(&why);
	return rc;
}

static void diff_free(struct diff *d)
{
	strv_free(&d->lines);
	strv_free(&d->files);
	if (d->paths)
		json_decref(d->paths);
}

/* ---- what is written: logs/repro/<id>.txt, .json, summary.tsv ---- */

/* logs/repro/<id>SUFFIX (malloc'd), its directory made. */
static char *out_path(struct repro *rp, size_t i, const char *suffix)
{
	char *p = xasprintf("%s/%s%s", rp->logs, step_id(rp, i), suffix), *dir = xstrdup(p);
	*strrchr(dir, '/') = '\0';
	if (mkdir_p(dir, 0755) < 0)
		warnx("cannot create %s: %s", dir, strerror(errno));
	free(dir);
	return p;
}

/* Run `argv` (diffoscope under coreutils' timeout, which ends its whole process group after
 * `limit` seconds) in `dir` with its output appended to `fd`, serving the signal pipe: SIGINT or
 * SIGTERM end it (timeout passes the signal on). Its exit status, 124 when the limit cut it short,
 * -1 when it could not start. */
static int run_tool(struct repro *rp, const char *dir, char *const argv[], int fd)
{
	pid_t pid;
	if (exec_spawn_in(&pid, dir, argv, EXEC_NULL, fd, fd) != 0)
		return -1;
	bool killed = false;
	for (;;) {
		int ws;
		if (waitpid(pid, &ws, WNOHANG) == pid)
			return WIFEXITED(ws) ? WEXITSTATUS(ws) : 128 + WTERMSIG(ws);
		struct pollfd pfd = {rp->sig_r, POLLIN, 0};
		if (poll(&pfd, 1, 200) > 0) {
			unsigned char sigs[64];
			if (read(rp->sig_r, sigs, sizeof sigs) < 0) {
				/* nothing after all */
			}
		}
		if (interrupted(rp) && !killed) {
			kill(pid, SIGTERM);
			killed = true;
		}
	}
}

/* diffoscope's text report of the files whose content differs, after the lines of every difference,
 * into logs/repro/<id>.txt: the first DIFFOSCOPE_FILES of them, each for at most
 * DIFFOSCOPE_SECONDS, all in at most DIFFOSCOPE_BUDGET seconds (an ELF file takes it a minute or
 * more). Its path (malloc'd), or NULL with *note saying why there is none. */
static char *diffoscope_report(struct repro *rp, size_t i, const char *scratch, const struct diff *d, char **note)
{
	char *txt = out_path(rp, i, ".txt");
	if (!exec_found("diffoscope")) {
		unlink(txt);
		free(txt);
		*note = xstrdup("diffoscope is not installed (Debian's package diffoscope): no report of the differing files' "
		                "content was written");
		return NULL;
	}
	const char *id = step_id(rp, i);
	char *flat = step_flat_id(id), *rebuilt = xasprintf("capture/%s/upper", flat), *part = xasprintf("%s.part", txt);
	free(flat);
	int fd = open(part, O_WRONLY | O_CREAT | O_TRUNC | O_APPEND | O_CLOEXEC, 0644);
	if (fd < 0) {
		*note = xasprintf("cannot write %s: %s", part, strerror(errno));
		free(txt);
		txt = NULL;
		goto out;
	}
	dprintf(fd, "lfsbuild repro %s: what differs between the first build (its package archive, unpacked in first/) "
	            "and the rebuild (%s/)\n", id, rebuilt);
	for (size_t k = 0; k < d->lines.n; k++)
		dprintf(fd, "  %s\n", d->lines.v[k]);
	if (!d->files.n)
		dprintf(fd, "\nNo file's content differs: nothing for diffoscope to compare.\n");
	double t0 = now_mono();
	size_t done = 0;
	for (; done < d->files.n && done < DIFFOSCOPE_FILES && !interrupted(rp); done++) {
		double left = DIFFOSCOPE_BUDGET - (now_mono() - t0);
		if (left < 5)
			break;
		char limit[32];
		snprintf(limit, sizeof limit, "%d", (int)(left < DIFFOSCOPE_SECONDS ? left : DIFFOSCOPE_SECONDS));
		/* in the scratch directory: the step's paths are arguments below it, never the work directory's */
		char *a = path_join("first", d->files.v[done]), *b = path_join(rebuilt, d->files.v[done]);
		char *argv[] = {"timeout", "-k", "5", limit, "diffoscope", "--text", "-", a, b, NULL};
		dprintf(fd, "\n## %s\n", d->files.v[done]);
		int code = run_tool(rp, scratch, argv, fd);
		if (code == 124 || code == 137)
			dprintf(fd, "(diffoscope did not finish within %s s: its report is cut short)\n", limit);
		else if (code != 0 && code != 1)
			dprintf(fd, "(diffoscope exited with status %d)\n", code);
		free(a);
		free(b);
	}
	if (done < d->files.n)
		dprintf(fd, "\n%zu more file%s differ in content, not compared by diffoscope (at most %d files in %d s)\n",
		        d->files.n - done, d->files.n - done == 1 ? "" : "s", DIFFOSCOPE_FILES, DIFFOSCOPE_BUDGET);
	if (close(fd) < 0 || rename(part, txt) < 0) {
		*note = xasprintf("cannot write %s: %s", txt, strerror(errno));
		unlink(part);
		free(txt);
		txt = NULL;
	}
out:
	free(rebuilt);
	free(part);
	return txt;
}

/* summary.tsv: one line per step checked, its latest result; kept in the order first checked. */
static void write_summary(struct repro *rp, size_t i, const char *result, size_t ndiffer)
{
	char *path = path_join(rp->logs, "summary.tsv"), *old = read_file(path, NULL);
	const char *id = step_id(rp, i);
	struct buf b = {0};
	buf_puts(&b, "# step\tresult\tdiffering\tchecked\n");
	char *line = xasprintf("%s\t%s\t%zu\t%lld\n", id, result, ndiffer, (long long)now_wall());
	bool put = false;
	char *save = NULL;
	for (char *l = old ? strtok_r(old, "\n", &save) : NULL; l; l = strtok_r(NULL, "\n", &save)) {
		if (l[0] == '#')
			continue;
		size_t n = strcspn(l, "\t");
		if (n == strlen(id) && !strncmp(l, id, n)) {
			buf_puts(&b, line);
			put = true;
		} else {
			buf_printf(&b, "%s\n", l);
		}
	}
	if (!put)
		buf_puts(&b, line);
	if (mkdir_p(rp->logs, 0755) < 0 || write_file_atomic(path, b.data, b.len, 0644) < 0)
		warnx("cannot write %s: %s", path, strerror(errno));
	free(line);
	buf_free(&b);
	free(old);
	free(path);
}

/* logs/repro/<id>.json and the summary line. */
static void write_result(struct repro *rp, const struct check *c, const char *result, const struct diff *d,
                         const char *txt, const char *note, double wall)
{
	const char *id = step_id(rp, c->step);
	json_t *o = json_object();
	json_object_set_new(o, "step", json_string(id));
	json_object_set_new(o, "result", json_string(result));
	json_object_set_new(o, "differing", json_integer(d && d->paths ? (json_int_t)json_array_size(d->paths) : 0));
	json_object_set_new(o, "checked", json_fixed(now_wall(), 3, true));
	json_object_set_new(o, "hash", json_string(c->stamp.hash));
	json_object_set_new(o, "version", json_text(c->version));
	json_object_set_new(o, "archive", json_text(c->archive));
	json_object_set_new(o, "archives", json_integer((json_int_t)c->narchives));
	json_object_set_new(o, "run_again", json_integer((json_int_t)c->nruns));
	json_object_set_new(o, "wall", json_fixed(wall, 1, wall > 0));
	char *log = xasprintf("%s/%s.log", rp->logs, id);
	json_object_set_new(o, "log", json_text(log));
	free(log);
	json_object_set_new(o, "diffoscope", json_text(txt));
	json_object_set_new(o, "note", json_text(note));
	json_object_set_new(o, "paths", d && d->paths ? json_incref(d->paths) : json_array());
	size_t len;
	char *text = json_dump_line(o, JSON_FILE_FLAGS, &len);
	char *path = out_path(rp, c->step, ".json");
	if (write_file_atomic(path, text, len, 0644) < 0)
		warnx("cannot write %s: %s", path, strerror(errno));
	free(path);
	free(text);
	json_decref(o);
	write_summary(rp, c->step, result, d && d->paths ? json_array_size(d->paths) : 0);
}

/* ---- one check ---- */

enum outcome { IDENTICAL, DIFFERS, FAILED };

/* The rebuilt step's upper tree against its archive unpacked into first/: the result said. */
static enum outcome judge(struct repro *rp, const struct check *c, const char *scratch, double wall)
{
	const char *id = step_id(rp, c->step);
	char err[2048];
	char *root = path_join(scratch, "root"), *first = path_join(scratch, "first");
	char *dir = capture_dir(scratch, id), *upper = path_join(dir, "upper");
	struct package_id pid = {id, c->version, c->stamp.hash, NULL};
	struct buf la = {0}, lb = {0};
	struct diff d = {0};
	enum outcome out = FAILED;
	int fd = open(c->archive, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		set_error(err, sizeof err, "cannot open %s: %s", c->archive, strerror(errno));
	else if (mkdir_p(first, 0755) < 0)
		set_error(err, sizeof err, "cannot create %s: %s", first, strerror(errno));
	else if (package_unpack(fd, c->archive, &pid, first, err, sizeof err) < 0)
		; /* err says why */
	/* what no package keeps (an archive made before that rule may hold it) */
	else if (capture_drop_caches(first) < 0 || capture_drop_caches(upper) < 0)
		set_error(err, sizeof err, "cannot remove ldconfig's cache or the Info directory from %s or %s: %s", first, upper,
		          strerror(errno));
	else if (capture_list_tree(id, root, first, &la, err, sizeof err) == 0 &&
	         capture_list_tree(id, root, upper, &lb, err, sizeof err) == 0 &&
	         compare(la.data, lb.data, rp->set.steps[c->step].mode, &d, err, sizeof err) == 0)
		out = d.lines.n ? DIFFERS : IDENTICAL;
	if (out == FAILED) {
		errorf("%s: cannot compare the rebuild with the first build: %s", id, err);
		printf("%s: not checked: cannot compare the rebuild with the first build: %s\n", id, err);
		write_result(rp, c, "failed", NULL, NULL, err, wall);
	}
	if (fd >= 0)
		close(fd);
	char *txt = NULL, *note = NULL;
	if (out == DIFFERS)
		txt = diffoscope_report(rp, c->step, scratch, &d, &note);
	else if (out == IDENTICAL) {
		char *stale = out_path(rp, c->step, ".txt");   /* an earlier check's report says no more */
		unlink(stale);
		free(stale);
	}
	if (out == IDENTICAL) {
		printf("%s: identical\n", id);
	} else if (out == DIFFERS) {
		printf("%s: %zu file%s differ%s\n", id, d.lines.n, d.lines.n == 1 ? "" : "s", d.lines.n == 1 ? "s" : "");
		for (size_t k = 0; k < d.lines.n; k++)
			printf("  %s\n", d.lines.v[k]);
		if (txt)
			printf("  diffoscope's report: %s\n", txt);
		else
			printf("  (%s)\n", note);
	}
	fflush(stdout);
	if (out != FAILED)
		write_result(rp, c, out == IDENTICAL ? "identical" : "differs", &d, txt, note, wall);
	free(txt);
	free(note);
	diff_free(&d);
	buf_free(&la);
	buf_free(&lb);
	free(root);
	free(first);
	free(dir);
	free(upper);
	return out;
}

static enum outcome check_one(struct repro *rp, struct check *c)
{
	const char *id = step_id(rp, c->step);
	char *scratch = scratch_dir(rp, c->step), *root = path_join(scratch, "root");
	enum outcome out = FAILED;
	char err[2048];
	if ((path_exists(scratch) && remove_tree(scratch) < 0) || mkdir_p(root, 0755) < 0) {
		errorf("%s: cannot make a fresh %s: %s", id, root, strerror(errno));
		goto out;
	}
	/* the scratch root is seen at WORKDIR/root: its mount point (a work directory of archives and
	 * stamps alone has none); a symlink there is refused by the sandbox, never followed */
	if (mkdir(rp->run.root, 0755) < 0 && errno != EEXIST) {
		errorf("%s: cannot make the mount point %s: %s", id, rp->run.root, strerror(errno));
		goto out;
	}
	runner_scratch(&rp->run, scratch, rp->logs);
	say(rp, "%s: making the root as it was before it in %s: %zu package archive%s merged%s", id, root, c->narchives,
	    c->narchives == 1 ? "" : "s", c->nruns ? ", steps with `capture no` run again" : "");
	for (size_t k = 0; k < c->left_out.n; k++)
		say(rp, "%s: left out of the scratch root: %s", id, c->left_out.v[k]);
	double t0 = now_mono();
	if (make_root(rp, c, scratch, err, sizeof err) < 0) {
		if (!interrupted(rp)) {
			errorf("%s: %s", id, err);
			printf("%s: not checked: %s\n", id, err);
			write_result(rp, c, "failed", NULL, NULL, err, 0);
		}
		goto out;
	}
	if (interrupted(rp))
		goto out;
	say(rp, "%s: the root made in %s; building %s again (log %s/%s.log)", id, fmt_duration(now_mono() - t0), id,
	    rp->logs, id);
	tests_as_built(rp, &c->stamp);
	rp->run.keep_capture = true;   /* its writes stay in its upper tree: compared, never merged */
	double t1 = now_mono();
	int code = run_step(rp, c->step, c->stamp.hash, err, sizeof err);
	double wall = now_mono() - t1;
	rp->run.keep_capture = false;
	if (interrupted(rp))
		goto out;
	if (code != 0) {
		errorf("%s: the rebuild failed: %s; its log: %s/%s.log", id, err, rp->logs, id);
		printf("%s: not checked: the rebuild failed (%s)\n", id, err);
		struct diff none = {0};
		write_result(rp, c, "failed", &none, NULL, err, wall);
		goto out;
	}
	out = judge(rp, c, scratch, wall);
out:
	if (rp->cfg->keep && !interrupted(rp))
		say(rp, "%s: kept %s (the scratch root root/, the first build first/, the rebuild capture/*/upper/)", id, scratch);
	else if (path_exists(scratch) && remove_tree(scratch) < 0)
		warnx("cannot remove %s: %s", scratch, strerror(errno));
	free(root);
	free(scratch);
	return out;
}

/* ---- the command ---- */

static int open_repro(struct repro *rp)
{
	const struct config *cfg = rp->cfg;
	if (book_open(cfg->bookdir, &cfg->layers, &rp->set, &rp->man) < 0)
		return -1;
	rp->have_set = true;
	if (graph_build(&rp->set, &rp->g) < 0)
		return -1;
	rp->have_graph = true;
	if (jobserver_open(&rp->js, cfg->jobs) < 0)
		return errorf("cannot create the jobserver pipe:");
	rp->have_js = true;
	int r = runner_init(&rp->run, cfg, &rp->set, &rp->man, &rp->js);
	rp->have_runner = true;
	if (r < 0)
		return -1;
	rp->run.capture = true;   /* the step's writes captured (its own `capture no` is refused) */
	return 0;
}

static void close_repro(struct repro *rp)
{
	if (rp->have_db)
		pkgdb_free(&rp->db);
	if (rp->have_runner)
		runner_free(&rp->run);
	if (rp->have_js)
		jobserver_close(&rp->js);
	if (rp->have_graph)
		graph_free(&rp->g);
	if (rp->have_set) {
		manifest_free(&rp->man);
		recipe_set_free(&rp->set);
	}
	if (rp->lock >= 0)
		close(rp->lock);
	free(rp->logs);
}

/* Plan every named step: 0, or -1 after saying why each refused one cannot be checked. */
static int plan_all(struct repro *rp, struct check *cs, size_t n)
{
	int rc = 0;
	for (size_t k = 0; k < n; k++) {
		struct check *c = &cs[k];
		struct buf why = {0};
		struct missing missing = {0};
		if (plan_step(rp, c, &why) == 0) {
			plan_earlier(rp, c, &missing);
			plan_chain(rp, c, &missing);
		}
		if (missing.n) {
			buf_printf(&why, "the root before it cannot be made from package archives: %zu step%s that ran before it "
			                 "%s none:", missing.n, missing.n == 1 ? "" : "s", missing.n == 1 ? "has" : "have");
			for (size_t q = 0; q < missing.n; q++)
				buf_printf(&why, "%s %s", q ? "," : "", missing.why.v[q]);
			/* the command that gives them archives: --from each of them that comes after none of the others */
			const char *sep = "; ";
			for (size_t q = 0; q < missing.n; q++) {
				bool after_another = false, again = false;
				for (size_t o = 0; o < missing.n; o++) {
					after_another |= o != q && missing.step[o] != missing.step[q] &&
					                 graph_after(&rp->g, missing.step[o], missing.step[q]);
					again |= o < q && missing.step[o] == missing.step[q];
				}
				if (after_another || again)
					continue;
				buf_printf(&why, "%s`lfsbuild build --capture on --from %s`", sep, step_id(rp, missing.step[q]));
				sep = " and ";
			}
			buf_puts(&why, missing.n == 1 ? " builds it, and what comes after it, again with archives"
			                              : " builds them, and what comes after them, again with archives");
		}
		if (why.len) {
			errorf("%s: not checked: %s", step_id(rp, c->step), why.data);
			rc = -1;
		}
		buf_free(&why);
		strv_free(&missing.why);
		free(missing.step);
	}
	return rc;
}

int repro_run(struct config *cfg, int argc, char **argv)
{
	struct repro rp = {.cfg = cfg, .lock = -1, .sig_r = -1};
	struct check *cs = xcalloc((size_t)argc + 1, sizeof *cs);
	size_t n = 0;
	int rc = EXIT_USAGE;
	if (open_repro(&rp) < 0)
		goto out;
	for (int a = 0; a < argc; a++) {
		int k = recipe_set_find(&rp.set, argv[a]);
		if (k < 0) {
			errorf("'%s' is no step of the book (`lfsbuild graph` lists them)", argv[a]);
			goto out;
		}
		bool dup = false;
		for (size_t q = 0; q < n; q++)
			dup |= cs[q].step == (size_t)k;
		if (!dup)
			cs[n++].step = (size_t)k;
	}
	if (geteuid() != 0) {
		errorf("lfsbuild repro needs root: each step runs again with its writes captured in an overlay, as `build "
		       "--capture on` runs it");
		goto out;
	}
	if ((rp.lock = state_lock_take(cfg->workdir, "repro", "no step was checked")) < 0)
		goto out;
	char err[1024];
	if (pkgdb_load(&rp.db, cfg->workdir, &rp.set, err, sizeof err) < 0) {
		errorf("%s", err);
		goto out;
	}
	rp.have_db = true;
	rp.logs = xasprintf("%s/logs/repro", cfg->workdir);
	if (plan_all(&rp, cs, n) < 0) {
		fprintf(stderr, "lfsbuild repro: nothing was rebuilt\n");
		goto out;
	}

	/* SIGINT and SIGTERM become bytes on a pipe (the step is then killed and the scratch removed);
	 * we are the subreaper of what the steps leave behind, as a build is */
	prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0);
	int sp[2];
	if (pipe2(sp, O_CLOEXEC | O_NONBLOCK) < 0)
		die("pipe:");
	sig_w = sp[1];
	rp.sig_r = sp[0];
	struct sigaction sa = {0}, old_int, old_term, old_pipe, ign = {0};
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sa.sa_flags = SA_RESTART;
	sigaction(SIGINT, &sa, &old_int);
	sigaction(SIGTERM, &sa, &old_term);
	ign.sa_handler = SIG_IGN;
	sigaction(SIGPIPE, &ign, &old_pipe);

	size_t counts[3] = {0};
	for (size_t k = 0; k < n && !interrupted(&rp); k++)
		counts[check_one(&rp, &cs[k])]++;

	sigaction(SIGINT, &old_int, NULL);
	sigaction(SIGTERM, &old_term, NULL);
	sigaction(SIGPIPE, &old_pipe, NULL);
	close(sp[0]);
	close(sp[1]);
	sig_w = -1;
	if (interrupted(&rp)) {
		runner_wait_orphans();
		fprintf(stderr, "lfsbuild repro: interrupted by %s; the scratch root was removed, nothing of the build was "
		                "changed\n", rp.signal == SIGINT ? "SIGINT" : "SIGTERM");
		rc = 128 + rp.signal;
		goto out;
	}
	if (n > 1) {
		printf("%zu of %zu steps identical", counts[IDENTICAL], n);
		if (counts[FAILED])
			printf(", %zu not checked", counts[FAILED]);
		printf(" (%s/summary.tsv)\n", rp.logs);
	}
	rc = counts[FAILED] ? EXIT_USAGE : counts[DIFFERS] ? EXIT_FAIL : EXIT_OK;
out:
	for (size_t k = 0; k < n; k++)
		check_free(&cs[k]);
	free(cs);
	close_repro(&rp);
	return rc;
}
