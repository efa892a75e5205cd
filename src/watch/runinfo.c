/* runinfo: the run model: state/run.json, the stamps, logs/timings.tsv read into a run_info. */
#include "watch/runinfo.h"

#include <errno.h>
#include <ftw.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "lib/json.h"
#include "watch/eta.h"

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

/* run.json's "phases" of a step: {"build":{"wall":S,"cpu":S}, ...}; unknown names are left out. */
static void phases_from_json(const json_t *o, struct phases *ph)
{
	const json_t *all = json_object_get(o, "phases");
	for (int k = 0; json_is_object(all) && k < PHASE_N; k++) {
		const json_t *one = json_object_get(all, phase_name((enum phase)k));
		bool w, c;
		double wall = json_get_num(one, "wall", 0, &w), cpu = json_get_num(one, "cpu", 0, &c);
		if (json_is_object(one) && w && c) {
			ph->has[k] = true;
			ph->wall[k] = wall;
			ph->cpu[k] = cpu;
		}
	}
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
	phases_from_json(o, &s->phases);
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
		s->phases = st.phases;
		if (s->status == ST_PENDING || !s->has_wall) {
			if (!strcmp(st.result, "failed"))
				s->status = ST_FAILED;
			else if (!strcmp(st.result, "ok") || !strcmp(st.result, "invalid"))
				s->status = ST_DONE;
			else if (!strcmp(st.result, "removed") || !strcmp(st.result, "removing"))
				s->status = ST_SKIPPED;   /* lfsbuild remove: a build leaves it out */
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

/* ---- the steps ---- */

double run_step_end(const struct run_step *s, double end)
{
	if (s->has_wall)
		return s->start + s->wall;
	return end > s->start ? end : s->start;
}

size_t run_stages(const struct run_info *ri, const char **names, size_t max)
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
