/* icecream: --icecream, a compile farm through icecc (engine/icecream.h, docs/engine.md). */
#include "engine/icecream.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "book/recipe.h"
#include "config/config.h"
#include "engine/sandbox.h"
#include "lib/exec.h"
#include "lib/fileutil.h"

#define ICECC "/usr/bin/icecc"
#define ICECCD "/usr/sbin/iceccd"
#define SYSTEM_SOCKET "/var/run/icecc/iceccd.socket"
/* How long the own daemon gets to reach its scheduler before the build starts anyway. */
#define CONNECT_WAIT 30
/* Bumped when the way an environment is made changes: every environment is made again. */
#define ENV_FORMAT "1"

static const char *create_env_path(void)
{
	static const char *const cands[] = {"/usr/bin/icecc-create-env", "/usr/lib/icecc/icecc-create-env"};
	for (size_t i = 0; i < ARRAY_LEN(cands); i++)
		if (access(cands[i], R_OK) == 0)
			return cands[i];
	return NULL;
}

int icecream_init(struct icecream *ice, const struct config *cfg, char *errbuf, size_t errlen)
{
	memset(ice, 0, sizeof *ice);
	ice->daemon = -1;
	const char *v = cfg->icecream;
	if (!v || !*v || !strcmp(v, "off") || !strcmp(v, "no"))
		return 0;
	ice->value = xstrdup(v);
	ice->dir = config_path(cfg, "icecream");
	ice->local_jobs = cfg->jobs > 0 ? cfg->jobs : 1;
	ice->jobs = cfg->icecream_jobs > 0 ? cfg->icecream_jobs : 4 * ice->local_jobs;
	if (!strcmp(v, "on") || !strcmp(v, "yes")) {
		ice->kind = ICECREAM_SYSTEM;
		ice->socket = xstrdup(SYSTEM_SOCKET);
	} else if (v[0] == '/') {
		ice->kind = ICECREAM_SOCKET;
		ice->socket = xstrdup(v);
	} else {
		/* a host name or address, and a port after a colon (iceccd -s takes the same) */
		const char *colon = strrchr(v, ':');
		bool ok = colon != v;
		for (const char *p = v; *p && ok; p++)
			ok = (*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') || *p == '.' ||
			     *p == '-' || *p == '_' || (p == colon && p[1]);
		for (const char *p = colon ? colon + 1 : ""; *p && ok; p++)
			ok = *p >= '0' && *p <= '9';
		if (!ok)
			return set_error(errbuf, errlen,
			                 "--icecream wants nothing (the iceccd running here), =HOST[:PORT] (a scheduler: lfsbuild runs "
			                 "its own iceccd), =/PATH (an iceccd's socket) or =off, not '%s'", v);
		ice->kind = ICECREAM_OWN;
		ice->scheduler = xstrdup(v);
		ice->socket = path_join(ice->dir, "daemon/iceccd.socket");
	}
	if (strlen(ice->socket) >= 108)   /* sun_path */
		return set_error(errbuf, errlen, "--icecream: the daemon's socket %s is longer than a socket's path may be "
		                 "(107 bytes): use a shorter work directory (-C)", ice->socket);
	return 0;
}

void icecream_free(struct icecream *ice)
{
	icecream_stop(ice);
	free(ice->value);
	free(ice->scheduler);
	free(ice->dir);
	free(ice->socket);
	free(ice->daemon_log);
	memset(ice, 0, sizeof *ice);
	ice->daemon = -1;
}

const char *icecream_local_reason(const struct icecream *ice, const struct recipe *rc, const struct stage *st)
{
	if (ice->kind == ICECREAM_OFF)
		return "";
	if (rc->no_icecream)
		return rc->icecream_why;
	if (rc->mode == MODE_HOST_ROOT)
		return "it runs on the host as root (mode host-root), with no compiler of its stage";
	if (!st->icecream.n)
		return "its stage names no compiler for icecream (no `icecream` line in book/stages)";
	if (!rc->sources.n)
		return "no sources: nothing to compile";
	return NULL;
}

/* ---- the client: the host's icecc, its dynamic linker and libraries, the links ---- */

/* The libraries `ldd ICECC` names, and its dynamic linker (*interp), as host paths. */
static int icecc_libraries(struct strv *libs, char **interp, char *errbuf, size_t errlen)
{
	struct buf out = {0};
	char *argv[] = {"ldd", ICECC, NULL};
	int rc = exec_tool(argv, &out, NULL);
	if (rc != 0) {
		set_error(errbuf, errlen, "ldd %s failed (exit %d): %s", ICECC, rc, out.data ? out.data : "");
		buf_free(&out);
		return -1;
	}
	*interp = NULL;
	for (char *save = NULL, *line = strtok_r(out.data, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		char *s = str_trim(line), *arrow = strstr(s, "=> /"), *path = arrow ? arrow + 3 : s[0] == '/' ? s : NULL;
		if (!path)
			continue;
		char *end = strstr(path, " (");
		char *p = end ? xstrndup(path, (size_t)(end - path)) : xstrdup(path);
		if (arrow)
			strv_push(libs, p);
		else {
			free(*interp);
			*interp = p;
		}
	}
	buf_free(&out);
	if (!*interp)
		return set_error(errbuf, errlen, "ldd %s names no dynamic linker", ICECC);
	return 0;
}

static int copy_real(const char *from, const char *to, mode_t mode, char *errbuf, size_t errlen)
{
	char *real = realpath(from, NULL), err[1024];
	int rc = file_copy(real ? real : from, to, mode, err, sizeof err);
	free(real);
	if (rc < 0)
		return set_error(errbuf, errlen, "cannot copy %s to %s: %s", from, to, err);
	return 0;
}

/* The wrapper the links point to: icecc run by the host's dynamic linker with the host's
 * libraries (the chroot's glibc may be another, and liblzo2 is not in LFS), under the name it was
 * called by (icecc takes the compiler's name from argv[0]; a link to a file called icecc is how it
 * skips itself when it looks the real compiler up in PATH). $0 is DIR/bin-STAGE/NAME. */
static const char wrapper[] =
	"#!/bin/sh\n"
	"# lfsbuild --icecream: the host's icecc with the host's dynamic linker and libraries (docs/engine.md)\n"
	"d=${0%/bin-*/*}\n"
	"exec \"$d/lib/ld.so\" --library-path \"$d/lib\" --argv0 \"$0\" \"$d/icecc.bin\" \"$@\"\n";

static int make_client(const struct icecream *ice, const char *client, const struct stage *stages, size_t nstages,
                       const char *create_env, char *errbuf, size_t errlen)
{
	struct strv libs = {0};
	char *interp = NULL, *p = NULL;
	int rc = -1;
	if (remove_tree(client) < 0 || mkdir_p(client, 0755) < 0) {
		set_error(errbuf, errlen, "cannot make %s: %s", client, strerror(errno));
		goto out;
	}
	chmod(client, 0755);
	if (icecc_libraries(&libs, &interp, errbuf, errlen) < 0)
		goto out;
	p = path_join(client, "lib");
	if (mkdir_p(p, 0755) < 0) {
		set_error(errbuf, errlen, "cannot make %s: %s", p, strerror(errno));
		goto out;
	}
	free(p);
	p = path_join(client, "lib/ld.so");
	if (copy_real(interp, p, 0755, errbuf, errlen) < 0)
		goto out;
	for (size_t i = 0; i < libs.n; i++) {
		free(p);
		p = xasprintf("%s/lib/%s", client, strrchr(libs.v[i], '/') + 1);
		if (copy_real(libs.v[i], p, 0755, errbuf, errlen) < 0)
			goto out;
	}
	free(p);
	p = path_join(client, "icecc.bin");
	if (copy_real(ICECC, p, 0755, errbuf, errlen) < 0)
		goto out;
	free(p);
	p = path_join(client, "icecc-create-env");
	if (copy_real(create_env, p, 0755, errbuf, errlen) < 0)
		goto out;
	free(p);
	p = path_join(client, "icecc");
	if (write_file_atomic(p, wrapper, strlen(wrapper), 0755) < 0) {
		set_error(errbuf, errlen, "cannot write %s: %s", p, strerror(errno));
		goto out;
	}
	chmod(p, 0755);
	for (size_t s = 0; s < nstages; s++) {
		if (!stages[s].icecream.n)
			continue;
		free(p);
		p = xasprintf("%s/bin-%s", client, stages[s].name);
		if (mkdir_p(p, 0755) < 0) {
			set_error(errbuf, errlen, "cannot make %s: %s", p, strerror(errno));
			goto out;
		}
		for (size_t k = 0; k < stages[s].icecream.n; k++) {
			char *l = path_join(p, stages[s].icecream.v[k]);
			int e = symlink("../icecc", l) < 0 && errno != EEXIST ? errno : 0;
			free(l);
			if (e) {
				set_error(errbuf, errlen, "cannot make the link %s/%s: %s", p, stages[s].icecream.v[k], strerror(e));
				goto out;
			}
		}
	}
	/* the host's dynamic linker must run icecc under another name (--argv0: glibc 2.33) */
	free(p);
	p = path_join(client, "lib/ld.so");
	char *lib = path_join(client, "lib"), *bin = path_join(client, "icecc.bin");
	char *argv[] = {p, "--library-path", lib, "--argv0", "icecc", bin, "--version", NULL};
	struct buf out = {0};
	int e = exec_tool(argv, &out, NULL);
	if (e != 0 || !out.data || !strstr(out.data, "ICECC")) {
		char *cmd = exec_cmdline(argv);
		set_error(errbuf, errlen, "the host's icecc does not run through its dynamic linker (%s): exit %d: %s", cmd, e,
		          out.data ? out.data : "");
		free(cmd);
	} else {
		rc = 0;
	}
	buf_free(&out);
	free(lib);
	free(bin);
	(void)ice;
out:
	free(p);
	free(interp);
	strv_free(&libs);
	return rc;
}

int icecream_prepare(struct icecream *ice, const struct stage *stages, size_t nstages, uid_t uid, gid_t gid,
                     char *errbuf, size_t errlen)
{
	if (ice->kind == ICECREAM_OFF || ice->prepared)
		return 0;
	const char *create_env = create_env_path();
	if (access(ICECC, X_OK) < 0 || !create_env || (ice->kind == ICECREAM_OWN && access(ICECCD, X_OK) < 0))
		return set_error(errbuf, errlen, "--icecream needs Debian's icecc (%s, icecc-create-env%s): apt-get install icecc",
		                 ICECC, ice->kind == ICECREAM_OWN ? ", " ICECCD : "");
	if (mkdir_p(ice->dir, 0755) < 0)
		return set_error(errbuf, errlen, "cannot make %s: %s", ice->dir, strerror(errno));
	chmod(ice->dir, 0755);
	char *client = path_join(ice->dir, "client"), *envs = path_join(ice->dir, "envs"), *work = path_join(ice->dir, "work");
	int rc = make_client(ice, client, stages, nstages, create_env, errbuf, errlen);
	/* envs/ and work/ stay root's: only lfsbuild makes entries there (a step's directory of
	 * work/ is given to the build uid, never work/ itself) */
	if (rc == 0 && (mkdir_p(envs, 0755) < 0 || remove_tree(work) < 0 || mkdir_p(work, 0755) < 0))
		rc = set_error(errbuf, errlen, "cannot make %s and %s: %s", envs, work, strerror(errno));
	(void)uid;
	(void)gid;
	free(client);
	free(envs);
	free(work);
	ice->prepared = rc == 0;
	return rc;
}

/* ---- the local daemon ---- */

/* The last `tail` bytes of the regular file `path` (never through a symlink: the daemon's
 * directory belongs to the build uid), or NULL. */
static char *log_tail(const char *path, size_t tail)
{
	char err[256];
	int fd = file_open_regular(path, err, sizeof err);
	if (fd < 0)
		return NULL;
	struct stat st;
	char *data = NULL;
	if (fstat(fd, &st) == 0) {
		off_t from = st.st_size > (off_t)tail ? st.st_size - (off_t)tail : 0;
		data = xmalloc(tail + 1);
		ssize_t got = pread(fd, data, tail, from);
		data[got > 0 ? got : 0] = '\0';
	}
	close(fd);
	return data;
}

static _Noreturn void exec_daemon(const struct icecream *ice, const char *dir, uid_t uid, gid_t gid, pid_t parent)
{
	int null = open("/dev/null", O_RDWR);
	if (null >= 0) {
		dup2(null, 0);
		dup2(null, 1);
		dup2(null, 2);
	}
	close_range(3, ~0U, 0);
	setsid();
	if (geteuid() == 0 && (setgroups(0, NULL) < 0 || setresgid(gid, gid, gid) < 0 || setresuid(uid, uid, uid) < 0))
		_exit(126);
	/* after the uid change, which clears it: the daemon goes when lfsbuild goes */
	prctl(PR_SET_PDEATHSIG, SIGTERM, 0, 0, 0);
	if (getppid() != parent)
		_exit(126);
	char *jobs = xasprintf("%d", ice->local_jobs), *envs = path_join(dir, "envs"), *log = path_join(dir, "iceccd.log");
	char host[64] = "host";
	gethostname(host, sizeof host - 1);
	char *name = xasprintf("lfsbuild-%s", host);
	char *sock = xasprintf("ICECC_TEST_SOCKET=%s", ice->socket), *home = xasprintf("HOME=%s", dir);
	char *envp[] = {"PATH=/usr/sbin:/usr/bin:/sbin:/bin", home, sock, NULL};
	char *argv[] = {ICECCD, "-s", ice->scheduler, "-m", jobs, "-N", name, "-b", envs, "-l", log, "-vv", NULL};
	execve(ICECCD, argv, envp);
	_exit(127);
}

int icecream_start(struct icecream *ice, uid_t uid, gid_t gid, struct strv *notes, char *errbuf, size_t errlen)
{
	if (ice->kind == ICECREAM_OFF || ice->daemon > 0)
		return 0;
	struct stat st;
	if (ice->kind != ICECREAM_OWN) {
		int e = stat(ice->socket, &st) < 0 ? errno : 0;
		if (e || !S_ISSOCK(st.st_mode))
			return set_error(errbuf, errlen,
			                 "--icecream: no iceccd socket at %s (%s): start the iceccd of this machine (Debian: "
			                 "systemctl start iceccd), or give --icecream=SCHEDULER to have lfsbuild run one",
			                 ice->socket, e ? strerror(e) : "not a socket");
		strv_push(notes, xasprintf("icecream: through the iceccd at %s (its own scheduler)", ice->socket));
		return 0;
	}
	char *dir = path_join(ice->dir, "daemon");
	free(ice->daemon_log);
	ice->daemon_log = path_join(dir, "iceccd.log");
	if (remove_tree(dir) < 0 || mkdir_p(dir, 0755) < 0 || (geteuid() == 0 && chown(dir, uid, gid) < 0)) {
		set_error(errbuf, errlen, "cannot make %s for the iceccd: %s", dir, strerror(errno));
		free(dir);
		return -1;
	}
	pid_t parent = getpid();
	fflush(NULL);
	pid_t pid = fork();
	if (pid < 0) {
		free(dir);
		return set_error(errbuf, errlen, "fork: %s", strerror(errno));
	}
	if (pid == 0)
		exec_daemon(ice, dir, uid, gid, parent);
	ice->daemon = pid;
	free(dir);
	/* until it says it reached the scheduler (bounded: it keeps trying by itself after) */
	bool connected = false;
	for (int k = 0; k < CONNECT_WAIT * 10 && !connected; k++) {
		int ws;
		if (waitpid(pid, &ws, WNOHANG) == pid) {
			ice->daemon = -1;
			char *log = log_tail(ice->daemon_log, 600);
			set_error(errbuf, errlen, "--icecream: iceccd ended (%s) before it reached the scheduler %s (its log %s: %s)",
			          fmt_exit(WIFEXITED(ws) ? WEXITSTATUS(ws) : 128 + WTERMSIG(ws)), ice->scheduler,
			          ice->daemon_log, log ? log : "none");
			free(log);
			return -1;
		}
		char *log = log_tail(ice->daemon_log, 1 << 16);
		connected = log && strstr(log, "Connected to scheduler");
		free(log);
		if (!connected)
			usleep(100000);
	}
	if (connected)
		strv_push(notes, xasprintf("icecream: iceccd (pid %ld, log %s) reached the scheduler %s; a step that goes "
		                           "through it runs make -j%d", (long)pid, ice->daemon_log, ice->scheduler, ice->jobs));
	else
		strv_push(notes, xasprintf("icecream: iceccd (log %s) has not reached the scheduler %s in %d s: the compiles "
		                           "run here until it does", ice->daemon_log, ice->scheduler, CONNECT_WAIT));
	return 0;
}

void icecream_stop(struct icecream *ice)
{
	if (ice->daemon <= 0)
		return;
	kill(ice->daemon, SIGTERM);
	int ws;
	for (int k = 0; k < 50; k++) {
		if (waitpid(ice->daemon, &ws, WNOHANG) == ice->daemon) {
			ice->daemon = -1;
			return;
		}
		usleep(100000);
	}
	kill(ice->daemon, SIGKILL);
	while (waitpid(ice->daemon, &ws, 0) < 0 && errno == EINTR)
		;
	ice->daemon = -1;
}

/* ---- the environment of a stage's compilers ---- */

/* Run in the step's own view: CC CXX ENVDIR CREATE-ENV. Writes `key` (the environment's name: a
 * sha256 of the compilers' files, their paths and the creating script); when ENVDIR has no
 * KEY.tar.gz, makes it here: icecc-create-env, then gcc's own cc1_options less `%{-param*}` as the
 * environment's specs file (icecc's daemon adds --param ggc-min-expand and ggc-min-heapsize,
 * which only tune cc1's memory use, but which cc1 would record in the DW_AT_producer of -g
 * objects: the same objects as a local compile need the same options). */
static const char env_script[] =
	"# lfsbuild --icecream: the icecc environment of this stage's compilers (docs/engine.md)\n"
	"set -e -o pipefail\n"
	"cc=$(command -v \"$1\") || { echo \"lfsbuild: no $1 on PATH ($PATH)\"; exit 3; }\n"
	"cxx=$(command -v \"$2\") || { echo \"lfsbuild: no $2 on PATH ($PATH)\"; exit 3; }\n"
	"files=\"$cc $cxx $(\"$1\" -print-prog-name=cc1) $(\"$2\" -print-prog-name=cc1plus)\"\n"
	"for t in as objcopy; do f=$(\"$1\" -print-prog-name=$t); case $f in /*) ;; *) f=$(command -v \"$f\" || :) ;; esac; files=\"$files $f\"; done\n"
	"files=\"$files $(\"$1\" -print-file-name=liblto_plugin.so)\"\n"
	"key=$({ echo 'lfsbuild icecream environment " ENV_FORMAT "'; for f in $files; do\n"
	"	if [ -e \"$f\" ]; then echo \"$(readlink -f \"$f\") $(sha256sum < \"$f\" | cut -d' ' -f1)\"; fi; done\n"
	"	sha256sum < \"$4\" | cut -d' ' -f1; } | sha256sum | cut -d' ' -f1)\n"
	"echo \"$key\" > key\n"
	"echo \"lfsbuild: environment $key of $cc and $cxx:\"; echo \"$files\" | tr ' ' '\\n' | sed 's/^/  /'\n"
	"[ ! -e \"$3/$key.tar.gz\" ] || { echo \"lfsbuild: it is there already\"; exit 0; }\n"
	"rm -rf env; mkdir env; cd env\n"
	"bash \"$4\" --gcc \"$cc\" \"$cxx\" --compression none\n"
	"tarball=$(ls *.tar)\n"
	"real=$(readlink -f \"$cc\"); prefix=${real%/*}; prefix=${prefix%/*}\n"
	"libdir=$(readlink -f \"$(\"$1\" -print-file-name=)\")\n"
	"spec=$(\"$1\" -dumpspecs | sed -n '/^\\*cc1_options:$/{n;p}')\n"   /* read to the end: a `q` would SIGPIPE gcc (pipefail) */
	"case $libdir/$spec in\n"
	"\"$prefix\"/*'%{-param*}'*)\n"
	"	rel=usr${libdir#\"$prefix\"}\n"
	"	mkdir -p \"specs-root/$rel\"\n"
	"	printf '*cc1_options:\\n%s\\n\\n' \"$(printf '%s' \"$spec\" | sed 's/ *%{-param\\*}//')\" > \"specs-root/$rel/specs\"\n"
	"	echo \"lfsbuild: adding /$rel/specs: cc1_options without %{-param*}\"\n"
	"	tar -rf \"$tarball\" -C specs-root --numeric-owner --owner=0 --group=0 \"$rel/specs\" ;;\n"
	"*) echo \"lfsbuild: no specs file added (no %{-param*} in cc1_options, or gcc's library outside $prefix)\" ;;\n"
	"esac\n"
	"gzip -n \"$tarball\"\n"
	"mv \"$tarball.gz\" \"../$key.tar.gz\"\n"
	"cd ..; rm -rf env\n"
	"echo \"lfsbuild: made $key.tar.gz\"\n";

int icecream_environment(struct icecream *ice, const struct stage *st, const char *flat, const struct sandbox_spec *base,
                         char **key, char *errbuf, size_t errlen)
{
	*key = NULL;
	bool chroot = base->mode == SANDBOX_CHROOT;
	char *work = xasprintf("%s/work/%s", ice->dir, flat), *envs = path_join(ice->dir, "envs");
	char *script = path_join(work, "make-env.sh"), *logp = path_join(work, "make-env.log");
	char *lockp = path_join(envs, ".lock"), *keyp = path_join(work, "key");
	char *work_in = chroot ? xstrdup("/build/icecream") : xstrdup(work);
	char *script_in = path_join(work_in, "make-env.sh");
	char *envs_in = chroot ? xstrdup(ICECREAM_DIR_IN "/envs") : xstrdup(envs);
	char *create_in = chroot ? xstrdup(ICECREAM_DIR_IN "/client/icecc-create-env") : path_join(ice->dir, "client/icecc-create-env");
	char *text = NULL, *made = NULL, *dest = NULL;
	int rc = -1, lock = -1, logfd = -1;
	/* work/ is root's (icecream_prepare): this directory is made here, its script and log too,
	 * before it is given to the build uid (user mode), whose run may then put anything in it:
	 * what is read back (the key, the tarball) is never taken through a symlink */
	if (remove_tree(work) < 0 || mkdir(work, 0755) < 0 ||
	    write_file_atomic(script, env_script, strlen(env_script), 0644) < 0 ||
	    (logfd = open(logp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644)) < 0 ||
	    (geteuid() == 0 && base->mode == SANDBOX_USER && chown(work, base->uid, base->gid) < 0)) {
		set_error(errbuf, errlen, "cannot prepare %s: %s", work, strerror(errno));
		goto out;
	}
	lock = open(lockp, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0644);
	while (lock >= 0 && flock(lock, LOCK_EX) < 0 && errno == EINTR)
		;
	if (lock < 0) {
		set_error(errbuf, errlen, "cannot open the lock %s: %s", lockp, strerror(errno));
		goto out;
	}
	struct sandbox_spec spec = *base;
	char *argv[] = {"/bin/bash", script_in, st->icecream.v[0], st->icecream.v[1], envs_in, create_in, NULL};
	spec.builddir = work;
	spec.builddir_in = work_in;
	spec.cwd = work_in;
	spec.argv = argv;
	spec.keep_fds = NULL;
	spec.stdin_fd = -1;
	spec.stdout_fd = spec.stderr_fd = logfd;
	spec.build_tmpfs = -1;
	spec.capture = NULL;
	spec.pty = false;
	spec.share_net = false;
	spec.private_tmp = chroot;
	spec.icecream_dir = ice->dir;
	spec.icecream_socket = NULL;
	struct sandbox_plan *plan = sandbox_plan_new(&spec);
	char err[1024];
	pid_t pid = sandbox_spawn(plan, err, sizeof err);
	sandbox_plan_free(plan);
	if (pid < 0) {
		set_error(errbuf, errlen, "the sandbox could not run %s: %s", script, err);
		goto out;
	}
	int ws = 0;
	while (waitpid(pid, &ws, 0) < 0 && errno == EINTR)
		;
	char kerr[256];
	int kfd = file_open_regular(keyp, kerr, sizeof kerr);
	if (kfd >= 0) {
		text = xcalloc(1, 128);
		ssize_t got = read(kfd, text, 127);
		text[got > 0 ? got : 0] = '\0';
		close(kfd);
	}
	char *k = text ? str_trim(text) : NULL;
	bool good = k && strlen(k) == 64 && strspn(k, "0123456789abcdef") == 64;
	if (!WIFEXITED(ws) || WEXITSTATUS(ws) != 0 || !good) {
		set_error(errbuf, errlen, "no icecc environment of %s and %s (%s; its log: %s)", st->icecream.v[0],
		          st->icecream.v[1], fmt_exit(WIFEXITED(ws) ? WEXITSTATUS(ws) : 128 + WTERMSIG(ws)), logp);
		goto out;
	}
	dest = xasprintf("%s/%s.tar.gz", envs, k);
	made = xasprintf("%s/%s.tar.gz", work, k);
	struct stat mst;
	if (!path_exists(dest)) {
		if (lstat(made, &mst) < 0 || !S_ISREG(mst.st_mode) || (mst.st_mode & 0444) != 0444) {
			set_error(errbuf, errlen, "%s is not a readable regular file (its log: %s)", made, logp);
			goto out;
		}
		if (rename(made, dest) < 0) {   /* the file itself, never what a link names */
			set_error(errbuf, errlen, "cannot move %s to %s: %s (its log: %s)", made, dest, strerror(errno), logp);
			goto out;
		}
	}
	*key = xstrdup(k);
	rc = 0;
out:
	if (logfd >= 0)
		close(logfd);
	if (lock >= 0)
		close(lock);   /* the lock goes with it */
	if (rc == 0)
		remove_tree(work);
	free(text);
	free(made);
	free(dest);
	free(work);
	free(envs);
	free(script);
	free(logp);
	free(lockp);
	free(keyp);
	free(work_in);
	free(script_in);
	free(envs_in);
	free(create_in);
	return rc;
}

/* ---- a step that goes through it ---- */

/* Replace (or add) NAME=VALUE in env. */
static void env_set(struct strv *env, const char *name, char *owned_value)
{
	size_t n = strlen(name);
	for (size_t i = 0; i < env->n; i++)
		if (!strncmp(env->v[i], name, n) && env->v[i][n] == '=') {
			free(env->v[i]);
			env->v[i] = xasprintf("%s=%s", name, owned_value);
			free(owned_value);
			return;
		}
	strv_push(env, xasprintf("%s=%s", name, owned_value));
	free(owned_value);
}

void icecream_step_env(const struct icecream *ice, const struct stage *st, bool chroot, const char *key, struct strv *env)
{
	const char *dir = chroot ? ICECREAM_DIR_IN : ice->dir;
	const char *path = "/usr/bin:/bin";
	for (size_t i = 0; i < env->n; i++)
		if (str_starts(env->v[i], "PATH="))
			path = env->v[i] + 5;
	char *p = xasprintf("%s/client/bin-%s:%s", dir, st->name, path);
	env_set(env, "PATH", p);
	env_set(env, "ICECC_VERSION", xasprintf("%s/envs/%s.tar.gz", dir, key));
	env_set(env, "ICECC_TEST_SOCKET", xstrdup(chroot ? ICECREAM_SOCKET_IN : ice->socket));
	/* the whole preprocessing here: __DATE__ with the step's SOURCE_DATE_EPOCH, no
	 * -fdirectives-only in the helpers' DW_AT_producer */
	env_set(env, "ICECC_REMOTE_CPP", xstrdup("0"));
	/* more compile jobs than local slots: its own make jobserver (docs/engine.md) */
	env_set(env, "MAKEFLAGS", xasprintf("-j%d", ice->jobs));
	env_set(env, "JOBS", xasprintf("%d", ice->jobs));
}

void icecream_step_spec(const struct icecream *ice, bool chroot, struct sandbox_spec *spec)
{
	spec->share_net = true;
	spec->icecream_dir = ice->dir;
	spec->icecream_socket = ice->socket;
}

int icecream_drop_locks(const char *tree)
{
	int tfd = open(tree, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	int dfd = tfd < 0 ? -1 : openat(tfd, "tmp", O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (tfd >= 0)
		close(tfd);
	DIR *d = dfd < 0 ? NULL : fdopendir(dfd);
	if (!d) {
		if (dfd >= 0)
			close(dfd);
		return 0;
	}
	int n = 0;
	for (struct dirent *e; (e = readdir(d));)
		if (!strncmp(e->d_name, ".icecream-", 10) && remove_tree_at(dirfd(d), e->d_name) == 0)
			n++; /* by the directory's fd: no path walked again, no link followed */
	closedir(d);
	return n;
}
