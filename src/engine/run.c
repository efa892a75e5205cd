/* run: prepare and start one step, and close it when it ends. */
#include "engine/run.h"
#include "engine/capture.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "sources/cache.h"
#include "config/config.h"
#include "sources/digest.h"
#include "lib/exec.h"
#include "lib/fileutil.h"
#include "sources/fetch.h"
#include "engine/jobserver.h"
#include "book/layer.h"
#include "book/manifest.h"
#include "book/recipe.h"
#include "engine/sandbox.h"
#include "state/state.h"
#include "book/sysconfig.h"
#include "engine/testsum.h"
#include "sources/unpack.h"
#include "engine/snapshot.h"
#include "packages/package.h"
#include "engine/phases.h"
#include "engine/buildfs.h"

/* Bump when the way a script or its environment is composed changes: every step reruns.
 * (Not bumped for the phase marks, PHASE_MARK_FN and LFSBUILD_PHASES_FD: they only measure, and
 * change nothing a step builds.) 3: SOURCE_DATE_EPOCH in every step's environment (it came
 * without a bump: steps built before it kept their stamps), and the dependency lines carry
 * inputs_pass_hash(). */
#define ENGINE_VERSION "3"

/* The shell function of line 1 of every script: `lfsbuild_phase NAME` at the start of each
 * section (docs/watching.md, "Phases"). */
#define PHASE_MARK_FN                                                                                        \
	"lfsbuild_phase() { [ -z \"${LFSBUILD_PHASES_FD-}\" ] || { echo \"lfsbuild-phase $1 ${EPOCHREALTIME-}\"; " \
	"times; } 2>/dev/null >&\"$LFSBUILD_PHASES_FD\" || :; }"

void runner_build_ids(uid_t *uid, gid_t *gid)
{
	const char *u = getenv("LFSBUILD_BUILD_UID"), *g = getenv("LFSBUILD_BUILD_GID");
	if (u && *u) {
		*uid = (uid_t)strtoul(u, NULL, 10);
		*gid = g && *g ? (gid_t)strtoul(g, NULL, 10) : (gid_t)*uid;
		return;
	}
	uid_t id = 4242;
	while (getpwuid(id) || getgrgid((gid_t)id))
		id++;
	*uid = id;
	*gid = g && *g ? (gid_t)strtoul(g, NULL, 10) : (gid_t)id;
}

int runner_init(struct runner *r, const struct config *cfg, const struct recipe_set *set,
                const struct manifest *man, struct jobserver *js)
{
	memset(r, 0, sizeof *r);
	const char *t = cfg->build_tmpfs;
	if (t && *t && strcmp(t, "on") && strcmp(t, "off") && strcmp(t, "auto"))
		return errorf("--build-tmpfs wants on, off or auto, not '%s'", t);
	r->cfg = cfg;
	r->set = set;
	r->man = man;
	r->js = js;
	r->as_root = geteuid() == 0;
	if (r->as_root) {
		runner_build_ids(&r->uid, &r->gid);
	} else {
		r->uid = getuid();
		r->gid = getgid();
	}
	r->root = config_path(cfg, "root");
	r->work = xstrdup(cfg->workdir);
	r->logs = config_path(cfg, "logs");
	r->res = xcalloc(man->n + 1, sizeof *r->res);
	r->res_done = xcalloc(man->n + 1, sizeof *r->res_done);
	const char *c = cfg->capture;
	if (c && *c && strcmp(c, "on") && strcmp(c, "off"))
		return errorf("--capture wants on or off, not '%s'", c);
	r->capture = c && !strcmp(c, "on");
	if (r->capture && !r->as_root)
		return errorf("--capture on needs root (an overlay per step); lfsbuild runs as uid %u", (unsigned)getuid());
	r->packages = config_path(cfg, "packages");
	r->cache_dir = xstrdup(cfg->cache ? cfg->cache : r->packages);
	r->cache = (struct bincache){.own = r->packages, .dir = r->cache_dir, .url = cfg->cache_url};
	const char *u = cfg->cache_url;
	if (u && !str_starts(u, "http://") && !str_starts(u, "https://") && !str_starts(u, "file://"))
		return errorf("--cache-url wants an http:// or https:// URL (or file://), not '%s'", u);
	if (!r->capture && (config_on_command_line("cache") || config_on_command_line("cache-url")))
		warnx("--cache and --cache-url need --capture on (the cache holds the captured steps' archives): not used");
	char err[1024];
	if (icecream_init(&r->ice, cfg, err, sizeof err) < 0)
		return errorf("%s", err);
	return 0;
}

const char *runner_icecream_reason(const struct runner *r, size_t i)
{
	const struct recipe *rc = &r->set->steps[i];
	return icecream_local_reason(&r->ice, rc, &r->set->stages[rc->stage]);
}

void runner_free(struct runner *r)
{
	/* also after runner_init refused an option: what it set up so far */
	for (size_t i = 0; r->man && r->res && i < r->man->n; i++) {
		free(r->res[i].path);
		free(r->res[i].sha256);
	}
	free(r->res);
	free(r->res_done);
	/* The sandbox of a chroot step mounts its own /build on $LFS/build, so that directory may be
	 * removed only once no step runs: here. (Removing it under a running step would detach that
	 * step's mount.) It is empty on the host; rmdir leaves it if anything was put there. */
	if (r->root) {
		char *b = path_join(r->root_from ? r->root_from : r->root, "build");
		rmdir(b);
		free(b);
	}
	free(r->root);
	free(r->root_from);
	free(r->work);
	free(r->logs);
	free(r->packages);
	free(r->cache_dir);
	strv_free(&r->sysenv);
	icecream_free(&r->ice);
	memset(r, 0, sizeof *r);
}

char *runner_log_path(const struct config *cfg, const char *id)
{
	return xasprintf("%s/logs/%s.log", cfg->workdir, id);
}

void runner_scratch(struct runner *r, const char *scratch, const char *logs)
{
	free(r->root_from);
	free(r->work);
	free(r->logs);
	r->root_from = path_join(scratch, "root");
	r->work = xstrdup(scratch);
	r->logs = xstrdup(logs);
	r->root_given = false;
}

/* The root's directory on the host: the scratch root with runner_scratch, else the root. */
static const char *host_root(const struct runner *r)
{
	return r->root_from ? r->root_from : r->root;
}

/* The settings of the new system (LFSBUILD_*), loaded when a recipe first needs them. */
static const struct strv *sysenv(struct runner *r)
{
	if (!r->sysenv_loaded) {
		r->sysenv_loaded = true;
		if (sysconfig_env(r->cfg, &r->sysenv) < 0)
			die("cannot set up the settings of the new system (above)");
	}
	return &r->sysenv;
}

static bool recipe_reads_settings(const struct recipe *rc)
{
	return strstr(rc->text, "LFSBUILD_") != NULL;
}

/* The source `name` resolved in the cache (path NULL if it is not there). NULL: unknown name. */
static struct resolved_source *resolve(struct runner *r, const char *name, bool quiet)
{
	const struct source *src = manifest_find(r->man, name);
	if (!src)
		return NULL;
	size_t k = (size_t)(src - r->man->src);
	if (!r->res_done[k]) {
		struct fetch_places pl;
		struct strv apt = {0};
		fetch_places_init(r->cfg, &pl, &apt);
		struct source_state st = {0};
		fetch_source_state(&pl, src, &st);
		free(st.where);
		strv_free(&apt);
		if (st.cached || !quiet) {
			if (fetch_resolve(r->cfg, src, &r->res[k].path, &r->res[k].sha256) < 0) {
				r->res[k].path = r->res[k].sha256 = NULL;
				quiet = true; /* said once */
			}
			r->res_done[k] = true;
		}
	}
	return &r->res[k];
}

/* "LFSBUILD_HOSTNAME" -> "hostname" (malloc'd). */
static char *setting_name(const char *var)
{
	char *s = xstrdup(str_starts(var, "LFSBUILD_") ? var + 9 : var);
	for (char *p = s; *p; p++)
		*p = *p == '_' ? '-' : (char)(*p >= 'A' && *p <= 'Z' ? *p - 'A' + 'a' : *p);
	return s;
}

int runner_inputs(struct runner *r, size_t i, char *const *dep_ids, char *const *dep_hashes, size_t ndeps,
                  const struct strv *old, struct strv *inputs)
{
	const struct recipe *rc = &r->set->steps[i];
	const struct stage *st = &r->set->stages[rc->stage];
	char *h = sha256_hex(rc->hashed, strlen(rc->hashed));
	strv_push(inputs, xasprintf("recipe %s", h));
	free(h);
	h = sha256_hex(st->canon, strlen(st->canon));
	strv_push(inputs, xasprintf("stage %s", h));
	free(h);
	strv_add(inputs, "engine " ENGINE_VERSION);
	for (size_t k = 0; k < rc->files.n; k++) {
		char *rel = xasprintf("files/%s", rc->files.v[k]);
		char *p = path_join(rc->home ? rc->home : r->set->dir, rel);
		char *with_layers = layer_kernel_fragment(r->set, rc, rc->files.v[k]);
		h = with_layers ? sha256_hex(with_layers, strlen(with_layers)) : sha256_file(p);
		free(with_layers);
		strv_push(inputs, xasprintf("file %s %s", rc->files.v[k], h ? h : "missing"));
		free(h);
		free(p);
		free(rel);
	}
	int rcode = 0;
	for (size_t k = 0; k < rc->sources.n; k++) {
		const char *name = rc->sources.v[k];
		struct resolved_source *rs = resolve(r, name, true);
		if (!rs) {
			fprintf(stderr, "%s:%d: unknown source '%s' (not in %s/sources)\n", rc->file, rc->sources_line, name,
			        r->set->dir);
			rcode = -1;
			continue;
		}
		const char *sha = rs->sha256;
		if (!sha && old) {
			/* Not cached (any more): the stamp's checksum still names it if the manifest has it. */
			char *key = xasprintf("source %s ", name);
			for (size_t q = 0; q < old->n && !sha; q++)
				if (str_starts(old->v[q], key)) {
					const char *v = old->v[q] + strlen(key);
					const struct source *src = manifest_find(r->man, name);
					for (size_t o = 0; o < src->norigins && !sha; o++) {
						const struct origin *org = &src->origins[o];
						const char *want = org->extract ? org->extract_sha256 : org->sha256;
						if (want && !strcmp(want, v))
							sha = v;
					}
				}
			free(key);
		}
		strv_push(inputs, xasprintf("source %s %s", name, sha ? sha : "missing"));
	}
	if (recipe_reads_settings(rc)) {
		const struct strv *env = sysenv(r);
		for (size_t k = 0; k < env->n; k++) {
			char *eq = strchr(env->v[k], '=');
			char *var = xstrndup(env->v[k], (size_t)(eq - env->v[k]));
			if (strstr(rc->text, var)) {
				char *name = setting_name(var);
				if (!strcmp(var, "LFSBUILD_KERNEL_CONFIG"))
					h = sha256_file(eq + 1);
				else
					h = sha256_hex(eq + 1, strlen(eq + 1));
				strv_push(inputs, xasprintf("config %s %s", name, h ? h : "missing"));
				free(h);
				free(name);
			}
			free(var);
		}
		if (strstr(rc->text, "LFSBUILD_KERNEL_CONFIG") && !r->cfg->kernel_config)
			strv_add(inputs, "config kernel-config none");
	}
	if (rc->test)
		strv_push(inputs, xasprintf("tests %s", r->cfg->tests ? "on" : "off"));
	for (size_t k = 0; k < ndeps; k++)
		strv_push(inputs, xasprintf("dep %s %s", dep_ids[k], dep_hashes[k]));
	return rcode;
}

bool runner_sources_ready(struct runner *r, size_t i)
{
	const struct recipe *rc = &r->set->steps[i];
	bool ok = true;
	for (size_t k = 0; k < rc->sources.n; k++) {
		struct resolved_source *rs = resolve(r, rc->sources.v[k], false);
		if (!rs || !rs->path)
			ok = false;
	}
	return ok;
}

/* ---- the step's script and environment ---- */

static char *expand_lfs(const char *s, const char *lfs)
{
	struct buf b = {0};
	buf_puts(&b, "");
	bool slash_root = !strcmp(lfs, "/");
	while (*s) {
		size_t n = str_starts(s, "${LFS}") ? 6
		         : str_starts(s, "$LFS") && !(s[4] == '_' || (s[4] >= 'A' && s[4] <= 'Z') ||
		                                      (s[4] >= 'a' && s[4] <= 'z') || (s[4] >= '0' && s[4] <= '9')) ? 4 : 0;
		if (n) {
			/* "$LFS/usr" is "/usr" in the chroot, not "//usr" */
			if (!(slash_root && s[n] == '/'))
				buf_puts(&b, lfs);
			s += n;
		} else {
			buf_add(&b, s++, 1);
		}
	}
	return b.data;
}

static char *src_var(const char *name)
{
	char *v = xasprintf("SRC_%s", name);
	for (char *p = v; *p; p++)
		if (*p == '-' || *p == '.' || *p == '+')
			*p = '_';
	return v;
}

/* Where the step sees things. */
struct view {
	enum step_mode mode;
	char *builddir;         /* host */
	char *builddir_in;      /* as the step sees it */
	const char *lfs;        /* $LFS as the step sees it */
	char *script_in;
	char *testlog, *testlog_in;
};

static void view_init(struct runner *r, size_t i, struct view *v)
{
	const struct recipe *rc = &r->set->steps[i];
	char *flat = step_flat_id(rc->id);
	v->mode = rc->mode;
	v->builddir = xasprintf("%s/build/%s", r->work, flat);
	/* (with runner_scratch, a user mode's step sees its build directory where a build has it) */
	v->builddir_in = rc->mode == MODE_CHROOT ? xasprintf("/build/%s", flat)
	                                         : xasprintf("%s/build/%s", r->cfg->workdir, flat);
	v->lfs = rc->mode == MODE_CHROOT ? "/" : r->root;
	v->script_in = path_join(v->builddir_in, "lfsbuild.sh");
	v->testlog = path_join(v->builddir, "lfsbuild-tests.log");
	v->testlog_in = path_join(v->builddir_in, "lfsbuild-tests.log");
	free(flat);
}

static void view_free(struct view *v)
{
	free(v->builddir);
	free(v->builddir_in);
	free(v->script_in);
	free(v->testlog);
	free(v->testlog_in);
}

static int count_lines(const char *s)
{
	int n = 0;
	for (; s && *s; s++)
		n += *s == '\n';
	return n;
}

/* Each line of `body` as a comment (a %test not run keeps its lines, so the numbers stay). */
static void commented(struct buf *b, const char *body)
{
	for (const char *p = body; *p;) {
		const char *nl = strchr(p, '\n');
		size_t n = nl ? (size_t)(nl - p) : strlen(p);
		buf_printf(b, "# %.*s\n", (int)n, p);
		p += n + (nl ? 1 : 0);
	}
}

/* The script: the stage's prelude, %build, %test (with --tests, in a subshell whose output goes
 * to the test log and whose failure is only reported), %install. When the recipe's sections
 * come in that order and its header leaves room for the prelude, every line of a section is at
 * the same line number as in the recipe, so bash's "line N" is the recipe's line N. */
static char *compose_script(struct runner *r, size_t i, const struct view *v)
{
	const struct recipe *rc = &r->set->steps[i];
	const struct stage *st = &r->set->stages[rc->stage];
	bool tests = rc->test && r->cfg->tests;
	int prelude = *st->prelude ? count_lines(st->prelude) + 1 : 0;
	bool aligned = rc->build_line >= prelude + 2 && (!rc->test || rc->test_line > rc->build_line) &&
	               (!rc->install || rc->install_line > (rc->test ? rc->test_line : rc->build_line));
	/* the test log ends with the status (testsum.c reads it: TESTSUM_EXIT_LINE); its path is
	 * the work directory's, which may hold any character: quoted for the shell (a step id is
	 * only [A-Za-z0-9/+._-], recipe.c) */
	char *log = shell_quote(v->testlog_in);
	char *close_tests = xasprintf(") >%s 2>&1; lfsbuild_rc=$?; set -e; echo \"" TESTSUM_EXIT_LINE "$lfsbuild_rc\" "
	                              ">>%s || true; if [ $lfsbuild_rc -ne 0 ]; then echo "
	                              "\"lfsbuild: the tests of %s failed (exit $lfsbuild_rc): see logs/tests/%s.log\"; "
	                              "else echo \"lfsbuild: the tests of %s passed\"; fi",
	                              log, log, rc->id, rc->id, rc->id);
	if (rc->critical_tests) {
		/* The book says not to go on: the step fails, its log names the unexpected failures (the
		 * `UNEXPECTED: name` lines the recipe's check printed, book/files/check/). */
		char *more = xasprintf("%s; if [ $lfsbuild_rc -ne 0 ]; then sed -n 's/^UNEXPECTED: /unexpected test failure: /p' "
		                       "%s >&2 || true; echo \"lfsbuild: %s: its test suite is critical (the book says not to go "
		                       "on) and failed: see logs/tests/%s.log\" >&2; exit 1; fi",
		                       close_tests, log, rc->id, rc->id);
		free(close_tests);
		close_tests = more;
	}
	free(log);
	struct buf b = {0};
	char *from = xstrdup(rc->file); /* the book's path: a newline in it would end the comment */
	for (char *p = from; *p; p++)
		*p = *p == '\n' ? ' ' : *p;
	/* line 1 also defines the phase mark (docs/watching.md, "Phases"): it writes the phase's
	 * name, the time and the CPU so far (`times`: the shell's and its ended children's) to the
	 * fd lfsbuild gives a running step; without it (`lfsbuild shell`), it does nothing */
	buf_printf(&b, "%s  # lfsbuild: %s (%s), from %s%s\n", PHASE_MARK_FN, rc->id, rc->title, from,
	           aligned ? ": line N here is line N of the recipe" : "");
	free(from);
	if (*st->prelude)
		buf_printf(&b, "%s\n", st->prelude);
	if (aligned)
		for (int k = 1 + prelude; k < rc->build_line - 1; k++)
			buf_puts(&b, "\n");
	buf_printf(&b, "lfsbuild_phase build  # %%build\n%s", rc->build);
	if (rc->test && aligned) {
		if (tests) {
			buf_printf(&b, "set +e; lfsbuild_phase test; ( set -e  # %%test: output to logs/tests/%s.log, a failure does not fail the step\n%s",
			           rc->id, rc->test);
			buf_printf(&b, "%s%s\n", close_tests, rc->install ? "; lfsbuild_phase install  # %install" : "");
		} else {
			buf_puts(&b, "# %test (not run: no --tests)\n");
			commented(&b, rc->test);
			if (rc->install)
				buf_puts(&b, "lfsbuild_phase install  # %install\n");
		}
		if (rc->install)
			buf_puts(&b, rc->install);
	} else {
		if (tests)
			buf_printf(&b, "set +e; lfsbuild_phase test; ( set -e  # %%test: output to logs/tests/%s.log, a failure does not fail the step\n%s%s\n",
			           rc->id, rc->test, close_tests);
		if (rc->install)
			buf_printf(&b, "lfsbuild_phase install  # %%install\n%s", rc->install);
	}
	free(close_tests);
	return b.data;
}

void runner_stage_env(const struct stage *st, const char *lfs, struct strv *env)
{
	for (size_t k = 0; k < st->env.n; k++)
		strv_push(env, expand_lfs(st->env.v[k], lfs));
}

long long runner_source_date(long long newest)
{
	return newest > 0 ? newest : BOOK_RELEASE_EPOCH;
}

/* The complete environment; `tops` are the sources' top directories (NULL entries: unknown),
 * `sde` the step's SOURCE_DATE_EPOCH (runner_source_date). */
static void compose_env(struct runner *r, size_t i, const struct view *v, char **tops, long long sde, struct strv *env)
{
	const struct recipe *rc = &r->set->steps[i];
	runner_stage_env(&r->set->stages[rc->stage], v->lfs, env);
	strv_push(env, xasprintf("LFS=%s", v->lfs));
	/* reproducible builds: the time a tool writes into what it makes (docs/engine.md); like the rest
	 * of what the engine adds here, no input of the stamp */
	strv_push(env, xasprintf("SOURCE_DATE_EPOCH=%lld", sde));
	strv_push(env, xasprintf("JOBS=%d", r->js->slots));
	char *mf = jobserver_makeflags(r->js);
	strv_push(env, xasprintf("MAKEFLAGS=%s", mf));
	free(mf);
	/* the book passes TESTSUITEFLAGS into the chroot: autotest suites run -jN tests at once */
	strv_push(env, xasprintf("TESTSUITEFLAGS=-j%d", r->js->slots));
	for (size_t k = 0; k < rc->sources.n; k++) {
		char *var = src_var(rc->sources.v[k]);
		strv_push(env, xasprintf("%s=%s/%s", var, v->builddir_in, tops && tops[k] ? tops[k] : rc->sources.v[k]));
		free(var);
	}
	if (rc->files.n)
		strv_push(env, xasprintf("FILES=%s/files", v->builddir_in));
	if (recipe_reads_settings(rc)) {
		const struct strv *se = sysenv(r);
		for (size_t k = 0; k < se->n; k++) {
			char *eq = strchr(se->v[k], '=');
			char *var = xstrndup(se->v[k], (size_t)(eq - se->v[k]));
			if (strstr(rc->text, var)) {
				if (!strcmp(var, "LFSBUILD_KERNEL_CONFIG"))
					strv_push(env, xasprintf("%s=%s/kernel.config", var, v->builddir_in));
				else
					strv_add(env, se->v[k]);
			}
			free(var);
		}
	}
}

static void spec_init(struct runner *r, enum step_mode mode, const char *builddir, const char *builddir_in,
                      const char *cwd, char **argv, struct strv *env, const int *keep, struct sandbox_spec *spec)
{
	memset(spec, 0, sizeof *spec);
	spec->mode = mode == MODE_CHROOT ? SANDBOX_CHROOT : mode == MODE_HOST_ROOT ? SANDBOX_HOST_ROOT : SANDBOX_USER;
	spec->root = r->root;
	spec->root_from = r->root_from;
	spec->builddir = builddir;
	spec->builddir_in = builddir_in;
	spec->cwd = cwd;
	spec->uid = mode == MODE_USER ? r->uid : 0;
	spec->gid = mode == MODE_USER ? r->gid : 0;
	spec->hostname = r->cfg->hostname;
	spec->argv = argv;
	spec->envp = env->v;
	spec->keep_fds = keep;
	spec->stdin_fd = spec->stdout_fd = spec->stderr_fd = -1;
}

/* The shell of every step: the host's bash in the user modes, $LFS's in the chroot (the same
 * path, as the book requires bash at /bin/bash on both sides). */
static char *bash_for(const struct view *v)
{
	(void)v;
	return xstrdup("/bin/bash");
}

/* ---- start and finish ---- */


static void dprint(int fd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void dprint(int fd, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	char *s = xvasprintf(fmt, ap);
	va_end(ap);
	size_t n = strlen(s);
	const char *p = s;
	while (n) {
		ssize_t w = write(fd, p, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			break;
		p += w;
		n -= (size_t)w;
	}
	free(s);
}

/* As root, $LFS belongs to the build uid while user-mode steps run (the book's chown to lfs). */
static int give_root(struct runner *r, char *errbuf, size_t errlen)
{
	const char *root = host_root(r);
	if (mkdir_p(root, 0755) < 0)
		return set_error(errbuf, errlen, "cannot create %s: %s", root, strerror(errno));
	if (!r->as_root || r->root_given)
		return 0;
	struct stat st;
	if (stat(root, &st) == 0 && (st.st_uid != r->uid || st.st_gid != r->gid)) {
		if (chown_tree(root, r->uid, r->gid) < 0)
			return set_error(errbuf, errlen, "cannot give %s to the build uid %u: %s", root, (unsigned)r->uid,
			             strerror(errno));
	}
	r->root_given = true;
	return 0;
}

int runner_prepare_root(struct runner *r, size_t i, char *errbuf, size_t errlen)
{
	if (r->set->steps[i].mode == MODE_USER && r->as_root)
		return give_root(r, errbuf, errlen);
	if (mkdir_p(host_root(r), 0755) < 0)
		return set_error(errbuf, errlen, "cannot create %s: %s", host_root(r), strerror(errno));
	r->root_given = false; /* a root step may give files back to root (ch7/changingowner) */
	return 0;
}

/* A source is read once more as it is used: the cache's stamp vouches for a file whose size,
 * mtime and inode did not change, but bytes can change without those (a tool that restores the
 * mtime, the disk itself), and a damaged archive can still unpack (libarchive does not check
 * gzip's CRC). Hashing is cheap next to unpacking (about 0.2 s per 100 MB). On a mismatch the
 * stamp is dropped, so that the next `lfsbuild fetch` hashes the file, rejects it and fetches it
 * again. */
static int check_source(const char *name, const struct resolved_source *rs, char *errbuf, size_t errlen)
{
	char sha[65];
	if (digest_file(rs->path, sha, NULL, NULL) < 0)
		return set_error(errbuf, errlen, "cannot read source '%s' (%s): %s", name, rs->path, strerror(errno));
	if (!strcmp(sha, rs->sha256))
		return 0;
	const char *slash = strrchr(rs->path, '/');
	char *dir = xstrndup(rs->path, (size_t)(slash - rs->path));
	cache_forget(dir, slash + 1);
	free(dir);
	return set_error(errbuf, errlen,
	             "source '%s': %s changed since it was verified (sha256 %s expected, %s now), so it was not "
	             "unpacked; `lfsbuild fetch %s` fetches it again (`lfsbuild fetch --verify` rechecks the whole "
	             "cache)",
	             name, rs->path, rs->sha256, sha, name);
}

/* The recipe's `files` (book/files/NAME) into BUILDDIR/files/NAME; a kernel configuration
 * fragment with the layers' fragments after it (book/layer.h). */
static int copy_files(struct runner *r, const struct recipe *rc, const struct view *v, char *errbuf, size_t errlen)
{
	int rcode = 0;
	for (size_t k = 0; k < rc->files.n && rcode == 0; k++) {
		char *rel = xasprintf("files/%s", rc->files.v[k]);
		char *from = path_join(rc->home ? rc->home : r->set->dir, rel), *to = path_join(v->builddir, rel);
		char *dir = xstrdup(to);
		*strrchr(dir, '/') = '\0';
		char err[1024];
		char *with_layers = layer_kernel_fragment(r->set, rc, rc->files.v[k]);   /* docs/layers.md */
		if (mkdir_p(dir, 0755) < 0)
			rcode = set_error(errbuf, errlen, "cannot create %s: %s", dir, strerror(errno));
		else if (with_layers && write_file_atomic(to, with_layers, strlen(with_layers), 0644) < 0)
			rcode = set_error(errbuf, errlen, "cannot write %s: %s", to, strerror(errno));
		else if (!with_layers && file_copy(from, to, 0644, err, sizeof err) < 0)
			rcode = set_error(errbuf, errlen, "cannot copy %s into the build directory: %s", from, err);
		free(with_layers);
		free(dir);
		free(rel);
		free(from);
		free(to);
	}
	return rcode;
}

static int fill(struct runner *r, size_t i, const struct view *v, char **tops, long long *sde, char *errbuf,
                size_t errlen);

/* The slow part of starting a step, run in a child process: a fresh build directory, the
 * sources unpacked, the files, the script, the build directory given to the build uid.
 * `tops` receives the sources' top directories, *sde the step's SOURCE_DATE_EPOCH. */
static int prepare(struct runner *r, size_t i, const struct view *v, char **tops, long long *sde, char *errbuf,
                   size_t errlen)
{
	if (remove_tree(v->builddir) < 0 || mkdir_p(v->builddir, 0755) < 0)
		return set_error(errbuf, errlen, "cannot make a fresh build directory %s: %s", v->builddir, strerror(errno));
	return fill(r, i, v, tops, sde, errbuf, errlen);
}

/* prepare() for a build directory on the tmpfs `fd`: the host's directory an empty mount point
 * (the sandbox attaches the tmpfs there), the tree written into the tmpfs through the fd
 * (this child's /proc/self/fd/N: the tmpfs is mounted nowhere). */
static int prepare_tmpfs(struct runner *r, size_t i, struct view *v, int fd, char **tops, long long *sde, char *errbuf,
                         size_t errlen)
{
	if (remove_tree(v->builddir) < 0 || mkdir_p(v->builddir, 0755) < 0)
		return set_error(errbuf, errlen, "cannot make a fresh build directory %s: %s", v->builddir, strerror(errno));
	char *host = v->builddir;
	v->builddir = xasprintf("/proc/self/fd/%d/.", fd);
	int rc = fill(r, i, v, tops, sde, errbuf, errlen);
	free(v->builddir);
	v->builddir = host;
	return rc;
}

/* The fresh, empty build directory v->builddir filled: sources, files, script, owner; *sde the
 * step's SOURCE_DATE_EPOCH. */
static int fill(struct runner *r, size_t i, const struct view *v, char **tops, long long *sde, char *errbuf,
                size_t errlen)
{
	const struct recipe *rc = &r->set->steps[i];
	*sde = runner_source_date(-1);
	for (size_t k = 0; k < rc->sources.n; k++) {
		struct resolved_source *rs = resolve(r, rc->sources.v[k], false);
		if (!rs || !rs->path)
			return set_error(errbuf, errlen, "source '%s' is not in the cache %s: run `lfsbuild fetch %s`",
			             rc->sources.v[k], r->cfg->sources, rc->sources.v[k]);
		char err[1024];
		if (check_source(rc->sources.v[k], rs, err, sizeof err) < 0)
			return set_error(errbuf, errlen, "%s", err);
		long long newest;
		if (unpack_source(rs->path, v->builddir, rc->sources.v[k], &tops[k], &newest, err, sizeof err) < 0)
			return set_error(errbuf, errlen,
			             "cannot unpack source '%s': %s (if the cached file is damaged, `lfsbuild fetch --verify %s` "
			             "checks it against the manifest and fetches it again)",
			             rc->sources.v[k], err, rc->sources.v[k]);
		if (k == 0)
			*sde = runner_source_date(newest);
	}
	if (copy_files(r, rc, v, errbuf, errlen) < 0)
		return -1;
	if (r->cfg->kernel_config && !sysconfig_kernel_is_word(r->cfg->kernel_config) &&
	    strstr(rc->text, "LFSBUILD_KERNEL_CONFIG")) {
		/* the user's own file: a symlink given on the command line is followed on purpose */
		char *real = realpath(r->cfg->kernel_config, NULL), *to = path_join(v->builddir, "kernel.config"), err[1024];
		int c = file_copy(real ? real : r->cfg->kernel_config, to, 0644, err, sizeof err);
		free(real);
		free(to);
		if (c < 0)
			return set_error(errbuf, errlen, "cannot copy --kernel-config %s: %s", r->cfg->kernel_config, err);
	}
	char *script = compose_script(r, i, v);
	char *script_path = path_join(v->builddir, "lfsbuild.sh");
	int e = -1, sfd = open(script_path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (sfd >= 0) {
		size_t slen = strlen(script);
		e = write(sfd, script, slen) == (ssize_t)slen ? 0 : -1;
		if (close(sfd) < 0)
			e = -1;
	}
	free(script_path);
	free(script);
	if (e < 0)
		return set_error(errbuf, errlen, "cannot write the script into %s: %s", v->builddir, strerror(errno));
	if (rc->mode == MODE_USER && r->as_root && chown_tree(v->builddir, r->uid, r->gid) < 0)
		return set_error(errbuf, errlen, "cannot give %s to the build uid: %s", v->builddir, strerror(errno));
	return 0;
}

char *runner_step_version(struct runner *r, size_t i)
{
	const struct recipe *rc = &r->set->steps[i];
	const struct source *src = rc->sources.n ? manifest_find(r->man, rc->sources.v[0]) : NULL;
	if (!src)
		return xstrdup("none");
	struct resolved_source *rs = resolve(r, rc->sources.v[0], true);
	const char *file = rs && rs->path ? strrchr(rs->path, '/') + 1 : NULL;
	for (size_t k = 0; file && k < src->norigins; k++)
		if (!strcmp(origin_unpack_file(&src->origins[k]), file) && src->origins[k].version)
			return xstrdup(src->origins[k].version);
	return xstrdup(src->version ? src->version : "none");
}

void runner_job_free(struct job *job)
{
	free(job->builddir);
	free(job->log_path);
	free(job->hash);
	free(job->version);
	free(job->from_cache);
	free(job->icecream_key);
	free(job->icecream_failed);
	job->builddir = job->log_path = job->hash = job->version = job->from_cache = NULL;
	job->icecream_key = job->icecream_failed = NULL;
}

/* A line of the preparing child's answer: newlines of `text` as blanks. */
static void answer_line(struct buf *out, const char *word, const char *text)
{
	buf_printf(out, "%s ", word);
	for (const char *p = text; *p; p++)
		buf_add(out, *p == '\n' ? " " : p, 1);
	buf_puts(out, "\n");
}

/* In the preparing child: the step's package archive from the binary cache into its capture
 * directory. The answer gets a line NOTE per thing the cache said, URLDEAD when the cache URL's
 * host did not answer, CACHED PATH when the step was restored (then true). */
static bool restore_from_cache(struct runner *r, size_t i, const struct job *job, struct buf *out)
{
	const struct recipe *rc = &r->set->steps[i];
	char err[1024];
	if (capture_prepare(r->work, rc->id, host_root(r), err, sizeof err) < 0) {
		answer_line(out, "NOTE", err);
		return false;
	}
	char *dir = capture_dir(r->work, rc->id), *upper = path_join(dir, "upper"), *used = NULL;
	/* a step on the host (chapters 4-6) holds $LFS in what it builds: only an archive made at
	 * this root serves it; a chroot step sees the root as / */
	struct package_id id = {rc->id, job->version, job->hash, rc->mode == MODE_CHROOT ? NULL : r->root};
	struct strv notes = {0};
	bool dead = false;
	int got = bincache_restore(&r->cache, &id, upper, &used, &notes, &dead);
	for (size_t k = 0; k < notes.n; k++)
		answer_line(out, "NOTE", notes.v[k]);
	if (dead)
		buf_puts(out, "URLDEAD\n");
	if (got == 1) {
		/* every captured step has its archive in WORKDIR/packages, also one from elsewhere */
		if (bincache_store(r->packages, used, err, sizeof err) < 0)
			answer_line(out, "NOTE", err);
		answer_line(out, "CACHED", used);
	}
	strv_free(&notes);
	free(used);
	free(upper);
	free(dir);
	return got == 1;
}

void runner_place(struct runner *r, size_t i, struct buildfs_choice *c)
{
	unsigned long long avail = 0, total = 0;
	if (buildfs_meminfo(&avail, &total) < 0)
		avail = total = 0;   /* nothing fits: on disk, unless --build-tmpfs on */
	buildfs_decide(r->cfg->build_tmpfs, r->as_root, r->set->steps[i].disk, avail, total, r->tmpfs_committed, c);
}

void runner_drop_tmpfs(struct runner *r, struct job *job)
{
	if (job->tmpfs_fd < 0 || job->tmpfs_limit == 0)   /* (a job never started is all zeros) */
		return;
	close(job->tmpfs_fd);
	job->tmpfs_fd = -1;
	r->tmpfs_committed -= job->tmpfs_limit < r->tmpfs_committed ? job->tmpfs_limit : r->tmpfs_committed;
	job->tmpfs_limit = 0;
}

/* The build directory on a tmpfs or on disk (runner_place), said in the log; a tmpfs that
 * cannot be made: on disk, and the log says why. */
static void place_build(struct runner *r, size_t i, struct job *job)
{
	struct buildfs_choice c;
	runner_place(r, i, &c);
	char err[512];
	if (c.tmpfs && (job->tmpfs_fd = buildfs_tmpfs(c.limit, err, sizeof err)) < 0) {
		dprint(job->log_fd, "# build directory on disk: no tmpfs could be made (%s)\n", err);
		return;
	}
	if (c.tmpfs) {
		job->tmpfs_limit = c.limit;
		r->tmpfs_committed += c.limit;
	}
	dprint(job->log_fd, "# build directory %s\n", c.why);
}

/* In the preparing child of a step that goes through icecc: its stage's environment (made in
 * the step's own sandbox when it is not there yet); the answer gets ICECREAM KEY, or ICELOCAL and
 * why not (the step then builds locally). */
static void icecream_answer(struct runner *r, size_t i, const struct view *v, struct buf *out)
{
	const struct recipe *rc = &r->set->steps[i];
	const struct stage *st = &r->set->stages[rc->stage];
	struct strv env = {0};
	runner_stage_env(st, v->lfs, &env);
	strv_push(&env, xasprintf("LFS=%s", v->lfs));
	struct sandbox_spec base;
	spec_init(r, v->mode, NULL, NULL, NULL, NULL, &env, NULL, &base);
	char *flat = step_flat_id(rc->id), *key = NULL, err[1536];
	if (icecream_environment(&r->ice, st, flat, &base, &key, err, sizeof err) == 0)
		answer_line(out, "ICECREAM", key);
	else
		answer_line(out, "ICELOCAL", err);
	free(key);
	free(flat);
	strv_free(&env);
}

int runner_start(struct runner *r, size_t i, const char *hash, bool cache, struct job *job, char *errbuf,
                 size_t errlen)
{
	const struct recipe *rc = &r->set->steps[i];
	memset(job, 0, sizeof *job);
	job->step = i;
	job->hash = xstrdup(hash);
	job->version = runner_step_version(r, i);
	job->pid = job->prep_pid = -1;
	job->out_fd = job->log_fd = job->prep_fd = job->phase_fd = job->tmpfs_fd = -1;
	job->start = now_wall();
	job->start_mono = now_mono();
	char *flat = step_flat_id(rc->id);
	job->builddir = xasprintf("%s/build/%s", r->work, flat);
	free(flat);
	job->log_path = xasprintf("%s/%s.log", r->logs, rc->id);

	char *logdir = xstrdup(job->log_path);
	*strrchr(logdir, '/') = '\0';
	int e = mkdir_p(logdir, 0755);
	free(logdir);
	if (e < 0)
		return set_error(errbuf, errlen, "cannot create the directory of %s: %s", job->log_path, strerror(errno));
	job->log_fd = open(job->log_path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (job->log_fd < 0)
		return set_error(errbuf, errlen, "cannot open the log %s: %s", job->log_path, strerror(errno));
	time_t t = (time_t)job->start;
	char when[64];
	strftime(when, sizeof when, "%Y-%m-%d %H:%M:%S %z", localtime(&t));
	dprint(job->log_fd, "# lfsbuild step %s: %s\n# started %s\n# recipe %s, stage %s, mode %s\n", rc->id,
	       rc->title, when, rc->file, r->set->stages[rc->stage].name, step_mode_name(rc->mode));

	/* $LFS to the build uid here, not in the child: no other step may start before it is done. */
	if (runner_prepare_root(r, i, errbuf, errlen) < 0)
		goto fail;
	place_build(r, i, job);
	/* Resolve the sources here, so that the child's answers (cached in r) are not lost. */
	for (size_t k = 0; k < rc->sources.n; k++)
		resolve(r, rc->sources.v[k], false);

	int pp[2];
	if (pipe2(pp, O_CLOEXEC) < 0) {
		set_error(errbuf, errlen, "pipe: %s", strerror(errno));
		goto fail;
	}
	fflush(NULL);
	pid_t pid = fork();
	if (pid < 0) {
		close(pp[0]);
		close(pp[1]);
		set_error(errbuf, errlen, "fork: %s", strerror(errno));
		goto fail;
	}
	if (pid == 0) {
		prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
		/* lfsbuild's handlers would write into its signal pipe on our behalf: a SIGINT or
		 * SIGTERM ends this child, and lfsbuild sees how it ended */
		signal(SIGINT, SIG_DFL);
		signal(SIGTERM, SIG_DFL);
		signal(SIGCHLD, SIG_DFL);
		close(pp[0]);
		struct view v;
		view_init(r, i, &v);
		char **tops = xcalloc(rc->sources.n + 1, sizeof *tops);
		char err[2048];
		struct buf out = {0};
		long long sde = 0;
		bool restored = cache && r->capture && !rc->no_capture && restore_from_cache(r, i, job, &out);
		int made = restored ? 0
		         : job->tmpfs_fd >= 0 ? prepare_tmpfs(r, i, &v, job->tmpfs_fd, tops, &sde, err, sizeof err)
		                              : prepare(r, i, &v, tops, &sde, err, sizeof err);
		if (!restored && made == 0 && r->ice.kind != ICECREAM_OFF && !runner_icecream_reason(r, i))
			icecream_answer(r, i, &v, &out);
		if (restored) {
			/* from the binary cache: no build directory */
		} else if (made == 0) {
			buf_printf(&out, "OK %lld\n", sde);
			for (size_t k = 0; k < rc->sources.n; k++)
				buf_printf(&out, "%s\n", tops[k] ? tops[k] : "");
		} else {
			buf_printf(&out, "ERR %s", err);
		}
		ssize_t w = write(pp[1], out.data, out.len);
		_exit(w == (ssize_t)out.len ? 0 : 1);
	}
	close(pp[1]);
	job->prep_pid = pid;
	job->prep_fd = pp[0];
	return 0;
fail:
	dprint(job->log_fd, "lfsbuild: %s\n", errbuf);
	return -1;
}

/* The memfd of the phase marks (above the fds scripts use), named to the step in its
 * environment; none (and no variable) if it cannot be made: the step runs all the same. */
static void open_phase_fd(struct job *job, struct strv *env)
{
	int m = memfd_create("lfsbuild-phases", MFD_CLOEXEC);
	job->phase_fd = m < 0 ? -1 : fcntl(m, F_DUPFD_CLOEXEC, 10);
	if (m >= 0)
		close(m);
	if (job->phase_fd >= 0)
		strv_push(env, xasprintf("LFSBUILD_PHASES_FD=%d", job->phase_fd));
}

/* The section phases from the marks the step wrote (at most 64 KiB are read). */
static void read_phases(struct job *job, double wall, double cpu)
{
	if (job->phase_fd < 0)
		return;
	char text[65536];
	ssize_t n = pread(job->phase_fd, text, sizeof text, 0);
	if (n > 0 && job->launch_wall > 0)
		phases_from_marks(text, (size_t)n, job->launch_wall, wall, cpu, &job->phases);
	close(job->phase_fd);
	job->phase_fd = -1;
}

/* The preparing child's answer (read from job->prep_fd): what the binary cache said (warned and
 * logged), then CACHED (1: job->from_cache), or "OK SOURCE_DATE_EPOCH" (into *sde) and the
 * sources' top directories into `tops` (0), or ERR and why (-1, errbuf). */
static int read_answer(struct runner *r, struct job *job, char **tops, long long *sde, char *errbuf,
                       size_t errlen)
{
	const struct recipe *rc = &r->set->steps[job->step];
	struct buf answer = {0};
	char chunk[4096];
	ssize_t n;
	while ((n = read(job->prep_fd, chunk, sizeof chunk)) != 0) {
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			break;
		buf_add(&answer, chunk, (size_t)n);
	}
	close(job->prep_fd);
	job->prep_fd = -1;
	job->prep_pid = -1;
	job->phases.has[PHASE_UNPACK] = true;
	job->phases.wall[PHASE_UNPACK] = now_mono() - job->start_mono;
	job->phases.cpu[PHASE_UNPACK] = job->prep_cpu;
	char *cur = answer.data;
	for (char *nl; cur && (nl = strchr(cur, '\n')) && !str_starts(cur, "OK ") && !str_starts(cur, "ERR "); cur = nl + 1) {
		*nl = '\0';
		if (str_starts(cur, "NOTE ")) {
			warnx("%s", cur + 5);
			dprint(job->log_fd, "lfsbuild: %s\n", cur + 5);
		} else if (str_starts(cur, "ICECREAM ")) {
			job->icecream_key = xstrdup(cur + 9);
		} else if (str_starts(cur, "ICELOCAL ")) {
			job->icecream_failed = xstrdup(cur + 9);
			warnx("%s: built here, not through icecream: %s", rc->id, cur + 9);
		} else if (!strcmp(cur, "URLDEAD")) {
			r->cache.url_dead = true;
		} else if (str_starts(cur, "CACHED ")) {
			job->from_cache = xstrdup(cur + 7);
			job->captured = true;
			dprint(job->log_fd, "lfsbuild: from cache: %s %s %s (%s): not built, its archive unpacked and merged\n",
			       rc->id, job->version, job->hash, job->from_cache);
		}
	}
	int result = job->from_cache ? 1 : 0;
	if (!result && (!cur || !str_starts(cur, "OK ") || !strchr(cur, '\n')))
		result = set_error(errbuf, errlen, "%s", cur && str_starts(cur, "ERR ") ? cur + 4
		                                   : "the preparation of the build directory died");
	if (result == 0) {
		*sde = strtoll(cur + 3, NULL, 10);
		cur = strchr(cur, '\n') + 1;
	}
	for (size_t k = 0; result == 0 && k < rc->sources.n; k++) {
		char *nl = strchr(cur, '\n');
		if (!nl)
			break;
		if (nl > cur)
			tops[k] = xstrndup(cur, (size_t)(nl - cur));
		cur = nl + 1;
	}
	buf_free(&answer);
	return result;
}

int runner_launch(struct runner *r, struct job *job, char *errbuf, size_t errlen)
{
	size_t i = job->step;
	const struct recipe *rc = &r->set->steps[i];
	struct view v;
	view_init(r, i, &v);
	char **tops = xcalloc(rc->sources.n + 1, sizeof *tops);
	struct strv env = {0};
	char *script = NULL, *cwd = NULL, *capdir = NULL, *bash = bash_for(&v);
	int pfd[2] = {-1, -1}, devnull = -1, rcode = -1;
	struct sandbox_plan *plan = NULL;

	long long sde = 0;
	int got = read_answer(r, job, tops, &sde, errbuf, errlen);
	if (got != 0) {
		rcode = got;
		goto out;
	}
	script = compose_script(r, i, &v);
	compose_env(r, i, &v, tops, sde, &env);
	const struct stage *ist = &r->set->stages[rc->stage];
	if (job->icecream_key)
		icecream_step_env(&r->ice, ist, v.mode == MODE_CHROOT, job->icecream_key, &env);
	cwd = rc->sources.n && tops[0] ? path_join(v.builddir_in, tops[0]) : xstrdup(v.builddir_in);
	char *argv[] = {bash, "-e", "-o", "pipefail", v.script_in, NULL};
	open_phase_fd(job, &env);
	int keep[] = {r->js->rfd, r->js->wfd, job->phase_fd, -1};
	struct sandbox_spec spec;
	spec_init(r, v.mode, v.builddir, v.builddir_in, cwd, argv, &env, keep, &spec);
	spec.build_tmpfs = job->tmpfs_fd;
	if (job->icecream_key) {
		icecream_step_spec(&r->ice, v.mode == MODE_CHROOT, &spec);
		dprint(job->log_fd, "# icecream: %s and %s go through icecc, environment %s, make -j%d, daemon %s\n",
		       ist->icecream.v[0], ist->icecream.v[1], job->icecream_key, r->ice.jobs, r->ice.socket);
	} else if (r->ice.kind != ICECREAM_OFF) {
		const char *why = runner_icecream_reason(r, i);
		dprint(job->log_fd, "# icecream: built here: %s%s\n", rc->no_icecream ? "icecream no: " : "",
		       job->icecream_failed ? job->icecream_failed : why ? why : "?");
	}
	job->captured = r->capture && !rc->no_capture;
	if (job->captured) {
		capdir = capture_dir(r->work, rc->id);
		if (capture_prepare(r->work, rc->id, host_root(r), errbuf, errlen) < 0)
			goto out;
		spec.capture = capdir;
	}
	if (pipe2(pfd, O_CLOEXEC) < 0 || (devnull = open("/dev/null", O_RDONLY | O_CLOEXEC)) < 0) {
		set_error(errbuf, errlen, "pipe: %s", strerror(errno));
		goto out;
	}
	/* A large pipe: while lfsbuild is busy elsewhere, the step keeps running. */
	fcntl(pfd[1], F_SETPIPE_SZ, 1 << 20);
	spec.stdin_fd = devnull;
	spec.stdout_fd = spec.stderr_fd = pfd[1];
	char *cmd = exec_cmdline(argv);
	dprint(job->log_fd, "# build directory %s, working directory %s, uid %u\n# command: %s\n", v.builddir, cwd,
	       (unsigned)spec.uid, cmd);
	free(cmd);
	dprint(job->log_fd, "# ---- script ----\n%s# ---- output ----\n", script);
	plan = sandbox_plan_new(&spec);
	char err[1024];
	job->start_mono = now_mono();
	job->launch_wall = now_wall();
	job->pid = sandbox_spawn(plan, err, sizeof err);
	if (job->pid < 0) {
		if (rc->mode == MODE_USER && r->as_root)
			set_error(errbuf, errlen, "the sandbox could not start the step: %s (the build uid %u must be able to reach %s: every directory above it needs o+x)",
			      err, (unsigned)r->uid, r->cfg->workdir);
		else
			set_error(errbuf, errlen, "the sandbox could not start the step: %s", err);
		goto out;
	}
	job->out_fd = pfd[0];
	pfd[0] = -1;
	job->echo = r->cfg->verbose ? rc->id : NULL;
	rcode = 0;
out:
	if (rcode < 0 && job->log_fd >= 0)
		dprint(job->log_fd, "lfsbuild: %s\n", errbuf);
	if (rcode < 0 && job->phase_fd >= 0) {
		close(job->phase_fd);
		job->phase_fd = -1;
	}
	if (pfd[0] >= 0)
		close(pfd[0]);
	if (pfd[1] >= 0)
		close(pfd[1]);
	if (devnull >= 0)
		close(devnull);
	if (plan)
		sandbox_plan_free(plan);
	for (size_t k = 0; k < rc->sources.n; k++)
		free(tops[k]);
	free(tops);
	strv_free(&env);
	free(script);
	free(cwd);
	free(bash);
	free(capdir);
	view_free(&v);
	return rcode;
}

/* -v: the step's complete lines on stdout, each after the step id. */
static void echo_lines(struct job *job, const char *p, size_t n, bool flush)
{
	buf_add(&job->partial, p, n);
	char *start = job->partial.data, *nl;
	while (start && (nl = memchr(start, '\n', job->partial.len - (size_t)(start - job->partial.data)))) {
		printf("%s| %.*s\n", job->echo, (int)(nl - start), start);
		start = nl + 1;
	}
	size_t rest = start ? job->partial.len - (size_t)(start - job->partial.data) : 0;
	if (flush && rest) {
		printf("%s| %.*s\n", job->echo, (int)rest, start);
		rest = 0;
	}
	if (start && rest)
		memmove(job->partial.data, start, rest);
	job->partial.len = rest;
	if (job->partial.data)
		job->partial.data[rest] = '\0';
	fflush(stdout);
}

bool runner_drain(struct job *job)
{
	char buf[65536];
	for (;;) {
		ssize_t n = read(job->out_fd, buf, sizeof buf);
		if (n > 0 && job->echo)
			echo_lines(job, buf, (size_t)n, false);
		if (n > 0) {
			const char *p = buf;
			while (n > 0) {
				ssize_t w = write(job->log_fd, p, (size_t)n);
				if (w < 0 && errno == EINTR)
					continue;
				if (w <= 0)
					break;
				p += w;
				n -= w;
			}
			continue;
		}
		if (n < 0 && errno == EINTR)
			continue;
		return n < 0 && errno == EAGAIN;
	}
}

/* A failed step's (or with --keep, any step's) tree from its tmpfs into its build directory
 * on disk, where `lfsbuild shell STEP` and the user find it; said at the end of its log. */
static void tmpfs_to_disk(struct job *job, int status)
{
	char err[1024];
	int lfd = open(job->log_path, O_WRONLY | O_APPEND | O_CLOEXEC);
	if (remove_tree(job->builddir) < 0 || mkdir_p(job->builddir, 0755) < 0)
		snprintf(err, sizeof err, "cannot make %s: %s", job->builddir, strerror(errno));
	else if (buildfs_copy_out(job->tmpfs_fd, job->builddir, NULL, err, sizeof err) == 0)
		err[0] = '\0';
	if (err[0])
		warnx("the build directory of a step was on a tmpfs and could not be copied to the disk: %s", err);
	if (lfd >= 0) {
		if (err[0])
			dprint(lfd, "lfsbuild: the build directory was on a tmpfs and could not be copied to %s: %s\n",
			       job->builddir, err);
		else
			dprint(lfd, "lfsbuild: the build directory was on a tmpfs: copied to %s (%s)\n", job->builddir,
			       status != 0 ? "the step failed: lfsbuild shell STEP finds it there" : "--keep");
		close(lfd);
	}
}

/* A captured step's merge (or an uncaptured one's "not captured" list), its journal holding the
 * stamp `ok`. `status` or 1. */
static int merge_capture(struct runner *r, struct job *job, int status, const struct stamp *ok)
{
	const struct recipe *rc = &r->set->steps[job->step];
	char err[1024];
	if (job->icecream_key && status == 0) {
		/* icecc's own lock directory, in the step's writes (or the root it wrote) */
		char *cdir = capture_dir(r->work, rc->id), *up = path_join(cdir, "upper");
		int gone = icecream_drop_locks(job->captured ? up : host_root(r));
		if (gone && job->log_fd >= 0)
			dprint(job->log_fd, "lfsbuild: icecream: icecc's lock directory /tmp/.icecream-* taken out (%d): "
			       "not the step's\n", gone);
		free(cdir);
		free(up);
	}
	if (status != 0 || !r->capture || (job->captured && r->keep_capture))
		return status;
	if (!job->captured) {
		if (capture_list_uncaptured(r->work, rc->id, "capture no") < 0)
			warnx("cannot write the file list of %s: %s", rc->id, strerror(errno));
		return status;
	}
	/* its package archive before the merge, unless it came from one */
	struct capture_pack pack = {job->version, job->hash, r->cache_dir};
	double t0 = now_mono();
	if (capture_merge(r->work, rc->id, host_root(r), job->from_cache ? NULL : &pack, ok, err, sizeof err) < 0) {
		warnx("%s", err);
		if (job->log_fd >= 0)
			dprint(job->log_fd, "lfsbuild: %s\n", err);
		return 1;
	}
	/* what capture costs after the step, per step (docs/BENCHMARKS.md sums it) */
	if (job->log_fd >= 0)
		dprint(job->log_fd, "lfsbuild: capture: file list, %smerge in %.1fs\n",
		       job->from_cache ? "" : "package archive and ", now_mono() - t0);
	return status;
}

int runner_finish(struct runner *r, struct job *job, int status, double wall, double cpu, long maxrss_kib,
                  struct stamp *ok)
{
	const struct recipe *rc = &r->set->steps[job->step];
	if (job->prep_fd >= 0) {
		close(job->prep_fd);
		job->prep_fd = -1;
	}
	read_phases(job, wall, cpu);
	if (ok)
		ok->phases = job->phases; /* the stamp a merge's journal keeps has them too */
	if (job->out_fd >= 0) {
		int fl = fcntl(job->out_fd, F_GETFL);
		fcntl(job->out_fd, F_SETFL, fl | O_NONBLOCK);
		runner_drain(job);
		close(job->out_fd);
		job->out_fd = -1;
	}
	if (job->echo)
		echo_lines(job, "", 0, true);
	buf_free(&job->partial);
	status = merge_capture(r, job, status, ok);
	if (job->log_fd >= 0) {
		dprint(job->log_fd, "# ---- end: exit status %d, wall %.1fs, cpu %.1fs, max rss %ld KiB ----\n", status,
		       wall, cpu, maxrss_kib);
		close(job->log_fd);
		job->log_fd = -1;
	}
	/* on a tmpfs, the tree is read through lfsbuild's fd (the step's namespace, where it was
	 * mounted, is gone) */
	char *tree = job->tmpfs_fd >= 0 ? xasprintf("/proc/self/fd/%d/.", job->tmpfs_fd) : xstrdup(job->builddir);
	char *testlog = path_join(tree, "lfsbuild-tests.log");
	if (path_exists(testlog)) {
		char *dst = xasprintf("%s/tests/%s.log", r->logs, rc->id);
		char *dir = xstrdup(dst);
		*strrchr(dir, '/') = '\0';
		char err[1024];
		/* the step owns its build directory: a symlink it planted there is not followed */
		if (mkdir_p(dir, 0755) < 0)
			warnx("cannot copy the test log to %s: cannot create %s: %s", dst, dir, strerror(errno));
		else if (file_copy(testlog, dst, 0644, err, sizeof err) < 0)
			warnx("cannot copy the test log to %s: %s", dst, err);
		free(dir);
		free(dst);
	}
	free(testlog);
	free(tree);
	if (job->tmpfs_fd >= 0 && (status != 0 || r->cfg->keep))
		tmpfs_to_disk(job, status);
	runner_drop_tmpfs(r, job);
	if (status == 0 && !r->cfg->keep)
		remove_tree(job->builddir);
	runner_job_free(job);
	return status;
}

/* SOURCE_DATE_EPOCH as the step would get it, without unpacking: the cached first source's newest
 * member time, read from the archive (--explain, a shell in an existing build directory). */
static long long first_source_date(struct runner *r, const struct recipe *rc)
{
	struct resolved_source *rs = rc->sources.n ? resolve(r, rc->sources.v[0], true) : NULL;
	return runner_source_date(rs && rs->path ? unpack_newest_mtime(rs->path) : -1);
}

int runner_explain(struct runner *r, size_t i, FILE *out)
{
	const struct recipe *rc = &r->set->steps[i];
	struct view v;
	view_init(r, i, &v);
	char **tops = xcalloc(rc->sources.n + 1, sizeof *tops);
	for (size_t k = 0; k < rc->sources.n; k++) {
		struct resolved_source *rs = resolve(r, rc->sources.v[k], true);
		if (rs && rs->path)
			tops[k] = unpack_peek_top(rs->path);
	}
	struct strv env = {0};
	compose_env(r, i, &v, tops, first_source_date(r, rc), &env);
	char *cwd = rc->sources.n && tops[0] ? path_join(v.builddir_in, tops[0]) : xstrdup(v.builddir_in);
	char *bash = bash_for(&v);
	char *argv[] = {bash, "-e", "-o", "pipefail", v.script_in, NULL};
	int keep[] = {r->js->rfd, r->js->wfd, -1};
	struct sandbox_spec spec;
	spec_init(r, v.mode, v.builddir, v.builddir_in, cwd, argv, &env, keep, &spec);
	spec.stdin_fd = 0;
	spec.stdout_fd = spec.stderr_fd = 1;
	fprintf(out, "step %s: %s\n  recipe %s, stage %s, mode %s\n", rc->id, rc->title, rc->file,
	        r->set->stages[rc->stage].name, step_mode_name(rc->mode));
	fprintf(out, "build directory %s (the step sees %s)\n", v.builddir, v.builddir_in);
	if (r->ice.kind != ICECREAM_OFF) {
		const char *why = runner_icecream_reason(r, i);
		const struct stage *ist = &r->set->stages[rc->stage];
		if (why)
			fprintf(out, "icecream: built here: %s%s\n", rc->no_icecream ? "icecream no: " : "", why);
		else
			fprintf(out, "icecream: %s and %s through icecc (make -j%d, lfsbuild's network, PATH, ICECC_VERSION, "
			        "ICECC_TEST_SOCKET set when it runs)\n", ist->icecream.v[0], ist->icecream.v[1], r->ice.jobs);
	}
	for (size_t k = 0; k < rc->sources.n; k++) {
		struct resolved_source *rs = resolve(r, rc->sources.v[k], true);
		fprintf(out, "source %s: %s\n", rc->sources.v[k], rs && rs->path ? rs->path : "not in the cache (lfsbuild fetch)");
	}
	fprintf(out, "\nsandbox plan:\n");
	struct sandbox_plan *plan = sandbox_plan_new(&spec);
	sandbox_plan_print(plan, out);
	sandbox_plan_free(plan);
	fprintf(out, "\nenvironment (nothing else):\n");
	for (size_t k = 0; k < env.n; k++)
		fprintf(out, "  %s\n", env.v[k]);
	char *cmd = exec_cmdline(argv);
	fprintf(out, "\ncommand (in %s): %s\n", cwd, cmd);
	free(cmd);
	char *script = compose_script(r, i, &v);
	fprintf(out, "\n%s (output to %s/%s.log):\n%s", v.script_in, r->logs, rc->id, script);
	free(script);
	for (size_t k = 0; k < rc->sources.n; k++)
		free(tops[k]);
	free(tops);
	strv_free(&env);
	free(cwd);
	free(bash);
	view_free(&v);
	return 0;
}

/* ---- the build directory for `lfsbuild shell STEP` ---- */


/* The top directory of source k in an existing build directory: what unpack_source would call
 * it (the cached archive's first entry), else a directory named after the source; NULL if
 * neither is there. */
static char *existing_top(struct runner *r, const struct view *v, const char *name)
{
	struct resolved_source *rs = resolve(r, name, true);
	char *top = rs && rs->path ? unpack_peek_top(rs->path) : NULL;
	const char *cands[] = {top, name};
	for (size_t k = 0; k < ARRAY_LEN(cands); k++) {
		if (!cands[k] || strchr(cands[k], '/') || !strcmp(cands[k], "..") || !strcmp(cands[k], "."))
			continue;
		char *p = path_join(v->builddir, cands[k]);
		bool there = path_exists(p);
		free(p);
		if (there) {
			char *found = xstrdup(cands[k]);
			free(top);
			return found;
		}
	}
	free(top);
	return NULL;
}

int runner_step_view(struct runner *r, size_t i, struct step_view *sv, char *errbuf, size_t errlen)
{
	const struct recipe *rc = &r->set->steps[i];
	memset(sv, 0, sizeof *sv);
	struct view v;
	view_init(r, i, &v);
	char **tops = xcalloc(rc->sources.n + 1, sizeof *tops);
	int rcode = 0;
	long long sde = runner_source_date(-1);
	if (mkdir_p(host_root(r), 0755) < 0) {
		rcode = set_error(errbuf, errlen, "cannot create %s: %s", host_root(r), strerror(errno));
	} else if (is_dir(v.builddir)) {
		for (size_t k = 0; k < rc->sources.n; k++)
			tops[k] = existing_top(r, &v, rc->sources.v[k]);
		sde = first_source_date(r, rc);
	} else if (!runner_sources_ready(r, i)) { /* each missing one said, once */
		rcode = set_error(errbuf, errlen, "not all of its sources are in the cache (above)");
	} else {
		if ((rcode = prepare(r, i, &v, tops, &sde, errbuf, errlen)) < 0)
			remove_tree(v.builddir); /* no half-made directory for the next shell to take as is */
		sv->prepared = rcode == 0;
	}
	if (rcode == 0) {
		sv->mode = v.mode;
		sv->builddir = xstrdup(v.builddir);
		sv->builddir_in = xstrdup(v.builddir_in);
		sv->cwd = rc->sources.n && tops[0] ? path_join(v.builddir_in, tops[0]) : xstrdup(v.builddir_in);
		compose_env(r, i, &v, tops, sde, &sv->env);
	}
	for (size_t k = 0; k < rc->sources.n; k++)
		free(tops[k]);
	free(tops);
	view_free(&v);
	return rcode;
}

void step_view_free(struct step_view *sv)
{
	free(sv->builddir);
	free(sv->builddir_in);
	free(sv->cwd);
	strv_free(&sv->env);
	memset(sv, 0, sizeof *sv);
}

void runner_step_spec(struct runner *r, const struct step_view *sv, char **argv, const int *keep,
                      struct sandbox_spec *spec)
{
	spec_init(r, (enum step_mode)sv->mode, sv->builddir, sv->builddir_in, sv->cwd, argv, (struct strv *)&sv->env, keep,
	          spec);
}

void runner_kill(struct job *job, bool hard)
{
	if (job->prep_pid > 0)
		kill(job->prep_pid, SIGKILL);
	pid_t pid = job->pid;
	if (pid <= 0)
		return;
	if (!hard) {
		kill(pid, SIGTERM);
		return;
	}
	char path[64];
	snprintf(path, sizeof path, "/proc/%ld/task/%ld/children", (long)pid, (long)pid);
	char *kids = read_file(path, NULL);
	kill(pid, SIGKILL);
	char *save = NULL;
	for (char *w = kids ? strtok_r(kids, " \n", &save) : NULL; w; w = strtok_r(NULL, " \n", &save))
		kill((pid_t)atol(w), SIGKILL);
	free(kids);
}

void runner_wait_orphans(void)
{
	for (int k = 0; k < 1000; k++) {
		pid_t w = waitpid(-1, NULL, WNOHANG);
		if (w < 0 && errno == ECHILD)
			return;
		if (w == 0)
			usleep(10000);
	}
}
