/* shell: `lfsbuild shell [STEP]`, a shell in the sandbox of the new system or of one step. */
#include "engine/shell.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#include "book/manifest.h"
#include "book/recipe.h"
#include "engine/jobserver.h"
#include "engine/run.h"
#include "engine/sandbox.h"
#include "state/state.h"

struct shell {
	const struct config *cfg;
	const char *step_id;    /* NULL: the new system */
	int step;               /* its index, -1 without */
	char *root;             /* WORKDIR/root */
	int lock;
	struct recipe_set set;
	struct manifest man;
	bool have_set;
	struct jobserver js;
	bool have_js;
	struct runner run;
	bool have_runner;
	struct step_view sv;
	bool have_sv;
	bool tty;               /* interactive on a pty of its own */
	int rcfd;               /* a step's rc file (memfd), -1 */
	struct strv env, argv;
};

/* ---- checks ---- */

/* Is `path` (absolute, as the new system sees it) there in the root? Resolved on the host, which
 * is right for the relative symlinks the book makes (/bin -> usr/bin). */
static bool in_root(const struct shell *sh, const char *path)
{
	char *p = path_join(sh->root, path);
	bool there = access(p, X_OK) == 0;
	free(p);
	return there;
}

/* The book, the step, the root. 0, or the exit status. */
static int check(struct shell *sh)
{
	if (recipe_set_open(sh->cfg->bookdir, &sh->set, &sh->man) < 0)
		return EXIT_FAIL;
	sh->have_set = true;
	enum step_mode mode = MODE_CHROOT;
	if (sh->step_id) {
		sh->step = recipe_set_find(&sh->set, sh->step_id);
		if (sh->step < 0) {
			errorf("unknown step '%s': `lfsbuild graph` lists the steps of the book", sh->step_id);
			return EXIT_USAGE;
		}
		mode = sh->set.steps[sh->step].mode;
	}
	if (mode == MODE_USER) /* chapters 4-6 run on the host's view, with the host's bash */
		return 0;
	if (!is_dir(sh->root)) {
		errorf("no root yet: %s does not exist; run `lfsbuild build --until ch7` first", sh->root);
		return EXIT_FAIL;
	}
	if (mode == MODE_CHROOT && !in_root(sh, "/bin/bash") && (sh->step_id || !in_root(sh, "/bin/sh"))) {
		errorf("the root %s has no %s yet (chapter 6 installs bash); run `lfsbuild build --until ch7` first", sh->root,
		       sh->step_id ? "/bin/bash" : "shell (/bin/bash or /bin/sh)");
		return EXIT_FAIL;
	}
	return 0;
}

/* ---- the environment and the command ---- */

static void env_set(struct strv *env, const char *name, const char *value)
{
	size_t n = strlen(name);
	char *entry = xasprintf("%s=%s", name, value);
	for (size_t k = 0; k < env->n; k++)
		if (!strncmp(env->v[k], name, n) && env->v[k][n] == '=') {
			free(env->v[k]);
			env->v[k] = entry;
			return;
		}
	strv_push(env, entry);
}

/* The stage whose environment the new system's shell gets: `system` (chapter 8), else the last
 * chroot stage of the book; NULL if there is none. */
static const struct stage *system_stage(const struct recipe_set *set)
{
	int k = recipe_set_stage(set, "system");
	if (k >= 0)
		return &set->stages[k];
	for (size_t i = set->nstages; i-- > 0;)
		if (set->stages[i].mode == MODE_CHROOT)
			return &set->stages[i];
	return NULL;
}

/* As the book enters the chroot: env -i HOME=/root TERM="$TERM" PS1='(lfs chroot) \u:\w\$ '
 * PATH=/usr/bin:/usr/sbin MAKEFLAGS=-jN TESTSUITEFLAGS=-jN /bin/bash --login, with the stage's
 * env lines as the base. */
static void system_command(struct shell *sh)
{
	const struct stage *st = system_stage(&sh->set);
	if (st)
		runner_stage_env(st, "/", &sh->env);
	else
		env_set(&sh->env, "PATH", "/usr/bin:/usr/sbin");
	env_set(&sh->env, "HOME", "/root");
	const char *term = getenv("TERM");
	if (term && *term)
		env_set(&sh->env, "TERM", term);
	env_set(&sh->env, "PS1", "(lfs chroot) \\u:\\w\\$ ");
	char *j = xasprintf("-j%d", sh->cfg->jobs);
	env_set(&sh->env, "MAKEFLAGS", j);
	env_set(&sh->env, "TESTSUITEFLAGS", j);
	free(j);
	bool bash = in_root(sh, "/bin/bash");
	strv_add(&sh->argv, bash ? "/bin/bash" : "/bin/sh");
	if (sh->cfg->shell_command) {
		strv_add(&sh->argv, "-c");
		strv_add(&sh->argv, sh->cfg->shell_command);
	} else if (bash) {
		strv_add(&sh->argv, "--login");
	}
}

static char *single_quoted(const char *s)
{
	struct buf b = {0};
	buf_puts(&b, "'");
	for (; *s; s++)
		buf_puts(&b, *s == '\'' ? "'\\''" : (char[]){*s, 0});
	buf_puts(&b, "'");
	return b.data;
}

static int count_lines(const char *s)
{
	int n = 0;
	for (; s && *s; s++)
		n += *s == '\n';
	return n;
}

/* One section as a function: a new bash -e -o pipefail (a function's own `set -e` would be
 * ignored in `lfs_build && ...`) in a subshell in the source's top directory, running the
 * stage's prelude and the section, whose lines keep the recipe's numbers when the prelude leaves
 * room ("lfs_build: line 12: ..." is line 12 of the recipe). */
static void rc_section(struct buf *b, const char *fn, const char *name, const char *text, int line,
                       const char *prelude, const char *cwd, const char *file)
{
	if (!text) {
		buf_printf(b, "%s() { echo \"%s: %s has no %%%s section\" >&2; return 1; }\n", fn, fn, file, name);
		return;
	}
	struct buf body = {0};
	int used = 0;
	if (*prelude) {
		buf_printf(&body, "%s\n", prelude);
		used = count_lines(prelude) + 1;
	}
	for (int k = used; k < line; k++)
		buf_puts(&body, "\n");
	buf_puts(&body, text);
	char *q = single_quoted(body.data), *qcwd = single_quoted(cwd);
	buf_printf(b, "__%s=%s\n", fn, q);
	buf_printf(b, "%s() { ( cd %s && exec /bin/bash -e -o pipefail -c \"$__%s\" %s ); }\n", fn, qcwd, fn, fn);
	free(q);
	free(qcwd);
	buf_free(&body);
}

/* The rc file of a step's shell, in a memfd that the shell reads as /dev/fd/N (--rcfile, or
 * BASH_ENV for -c) and closes: nothing is written into the build directory. -1 (said) on error. */
static int step_rc(struct shell *sh)
{
	const struct recipe *rc = &sh->set.steps[sh->step];
	const char *prelude = sh->set.stages[rc->stage].prelude;
	int fd = memfd_create("lfsbuild-shell.rc", MFD_CLOEXEC);
	int high = fd < 0 ? -1 : fcntl(fd, F_DUPFD_CLOEXEC, 10); /* above the fds scripts use */
	if (fd >= 0)
		close(fd);
	if (high < 0)
		return errorf("cannot create the shell's rc file:");
	struct buf b = {0};
	buf_printf(&b, "# lfsbuild shell %s: the sections of %s as functions\nunset BASH_ENV\nexec %d<&-\n", rc->id,
	           rc->file, high);
	if (*prelude)
		buf_printf(&b, "%s\n", prelude);
	/* again here: the host's bash (user mode) reads /etc/bash.bashrc first, which sets its own */
	buf_printf(&b, "PS1='(lfs %s) \\u:\\w\\$ '\n", rc->id);
	rc_section(&b, "lfs_build", "build", rc->build, rc->build_line, prelude, sh->sv.cwd, rc->file);
	rc_section(&b, "lfs_test", "test", rc->test, rc->test_line, prelude, sh->sv.cwd, rc->file);
	rc_section(&b, "lfs_install", "install", rc->install, rc->install_line, prelude, sh->sv.cwd, rc->file);
	bool ok = write(high, b.data, b.len) == (ssize_t)b.len && lseek(high, 0, SEEK_SET) == 0;
	buf_free(&b);
	if (!ok) {
		close(high);
		return errorf("cannot write the shell's rc file:");
	}
	sh->rcfd = high;
	return 0;
}

/* A step's shell: its build directory, environment and job slots, the sections as functions. */
static int step_command(struct shell *sh)
{
	const struct recipe *rc = &sh->set.steps[sh->step];
	if (jobserver_open(&sh->js, sh->cfg->jobs) < 0)
		return errorf("cannot create the jobserver pipe:");
	sh->have_js = true;
	jobserver_take(&sh->js); /* the step's own slot, as the scheduler takes one per step */
	runner_init(&sh->run, sh->cfg, &sh->set, &sh->man, &sh->js);
	sh->have_runner = true;
	char err[2048];
	if (runner_step_view(&sh->run, (size_t)sh->step, &sh->sv, err, sizeof err) < 0)
		return errorf("%s: %s", rc->id, err);
	sh->have_sv = true;
	struct stat st;
	if (rc->mode == MODE_USER && sh->run.as_root && stat(sh->root, &st) == 0 && st.st_uid != sh->run.uid &&
	    !sh->cfg->quiet)
		fprintf(stderr, "lfsbuild shell: note: %s belongs to uid %u, not to the build uid %u this shell runs as (a "
		        "build gives it back to the build uid when a chapter 4-6 step runs; the shell does not)\n",
		        sh->root, (unsigned)st.st_uid, (unsigned)sh->run.uid);
	if (step_rc(sh) < 0)
		return -1;
	for (size_t k = 0; k < sh->sv.env.n; k++)
		strv_add(&sh->env, sh->sv.env.v[k]);
	const char *term = getenv("TERM");
	if (term && *term)
		env_set(&sh->env, "TERM", term);
	char *v = xasprintf("(lfs %s) \\u:\\w\\$ ", rc->id);
	env_set(&sh->env, "PS1", v);
	free(v);
	char *rcpath = xasprintf("/dev/fd/%d", sh->rcfd);
	env_set(&sh->env, "BASH_ENV", rcpath); /* read by a non-interactive bash; the rc unsets it */
	strv_add(&sh->argv, "/bin/bash");
	if (sh->cfg->shell_command) {
		strv_add(&sh->argv, "-c");
		strv_add(&sh->argv, sh->cfg->shell_command);
	} else if (sh->tty) {
		strv_add(&sh->argv, "--rcfile");
		strv_add(&sh->argv, rcpath);
		strv_add(&sh->argv, "-i");
	}
	free(rcpath);
	return 0;
}

/* What an interactive shell says first (on stderr, before the terminal turns raw). */
static void banner(struct shell *sh)
{
	if (!sh->tty || sh->cfg->quiet)
		return;
	if (!sh->step_id) {
		fprintf(stderr, "lfsbuild shell: the new system %s (chroot; its own /dev, /proc, /sys, /run; no network). "
		        "exit leaves it.\n", sh->root);
		return;
	}
	const struct recipe *rc = &sh->set.steps[sh->step];
	struct stamp st;
	bool failed = false;
	if (!sh->sv.prepared && stamp_read(sh->cfg->workdir, rc->id, &st) == 0) {
		failed = st.result && !strcmp(st.result, "failed");
		stamp_free(&st);
	}
	fprintf(stderr, "lfsbuild shell %s (%s mode): build directory %s, %s.\n"
	        "  lfs_build, lfs_test, lfs_install run the sections of %s; exit leaves.\n", rc->id,
	        step_mode_name(rc->mode), sh->sv.builddir,
	        sh->sv.prepared ? "prepared now (sources unpacked, nothing run)"
	        : failed ? "as the failed run left it" : "as it was", rc->file);
	fflush(stderr);
}

/* ---- running it ---- */

static int exit_status(int st)
{
	if (WIFEXITED(st))
		return WEXITSTATUS(st);
	if (WIFSIGNALED(st))
		return 128 + WTERMSIG(st);
	return EXIT_FAIL;
}

static const int forwarded[] = {SIGINT, SIGTERM, SIGHUP, SIGQUIT};

/* Copy between the user's terminal (raw) and the pty until the sandbox's process ends; SIGWINCH
 * passes the size on; SIGINT, SIGTERM, SIGHUP, SIGQUIT end the sandbox (and then lfsbuild with
 * 128+N). The signals are blocked by the caller (before the spawn, so that none is lost). */
static int proxy(int master, pid_t pid, int sigfd)
{
	struct termios saved, raw;
	bool term = tcgetattr(STDIN_FILENO, &saved) == 0;
	if (term) {
		raw = saved;
		cfmakeraw(&raw);
		tcsetattr(STDIN_FILENO, TCSANOW, &raw);
	}
	fcntl(master, F_SETFL, fcntl(master, F_GETFL) | O_NONBLOCK);
	char in[4096], out[16384];
	size_t inlen = 0, inoff = 0;
	bool stdin_open = true, master_open = true;
	int st = 0, sig = 0;
	pid_t w = waitpid(pid, &st, WNOHANG);
	while (w != pid) {
		struct pollfd pf[3] = {{sigfd, POLLIN, 0}, {master_open ? master : -1, (short)(POLLIN | (inlen ? POLLOUT : 0)), 0},
		                       {stdin_open && !inlen ? STDIN_FILENO : -1, POLLIN, 0}};
		if (poll(pf, 3, -1) < 0 && errno != EINTR)
			break;
		if (pf[0].revents & POLLIN) {
			struct signalfd_siginfo si;
			if (read(sigfd, &si, sizeof si) == (ssize_t)sizeof si) {
				struct winsize ws;
				if (si.ssi_signo == SIGWINCH && ioctl(STDIN_FILENO, TIOCGWINSZ, &ws) == 0)
					ioctl(master, TIOCSWINSZ, &ws);
				else if (si.ssi_signo != SIGCHLD && si.ssi_signo != SIGWINCH && !sig)
					kill(pid, SIGTERM), sig = (int)si.ssi_signo;
			}
		}
		if (pf[1].revents & (POLLIN | POLLHUP | POLLERR)) {
			ssize_t n = read(master, out, sizeof out);
			if (n > 0 && write(STDOUT_FILENO, out, (size_t)n) < 0) {
				/* the user's terminal is gone: the shell goes on until it notices */
			}
			if ((n < 0 && errno != EAGAIN && errno != EINTR) || n == 0)
				master_open = false; /* EIO: every slave fd is closed */
		}
		if (pf[1].revents & POLLOUT) {
			ssize_t n = write(master, in + inoff, inlen - inoff);
			if (n > 0 && (inoff += (size_t)n) == inlen)
				inlen = inoff = 0;
		}
		if (pf[2].revents & (POLLIN | POLLHUP)) {
			ssize_t n = read(STDIN_FILENO, in, sizeof in);
			if (n > 0)
				inlen = (size_t)n, inoff = 0;
			else if (n == 0 || errno != EINTR)
				stdin_open = false;
		}
		w = waitpid(pid, &st, WNOHANG);
	}
	for (ssize_t n; master_open && (n = read(master, out, sizeof out)) > 0;)
		if (write(STDOUT_FILENO, out, (size_t)n) < 0)
			break;
	if (term)
		tcsetattr(STDIN_FILENO, TCSADRAIN, &saved);
	return sig ? 128 + sig : exit_status(st);
}

/* Without a pty: wait, passing SIGINT, SIGTERM, SIGHUP, SIGQUIT on to the sandbox. */
static int wait_plain(pid_t pid, int sigfd)
{
	int st = 0, sig = 0;
	for (;;) {
		pid_t w = waitpid(pid, &st, WNOHANG);
		if (w == pid)
			break;
		struct pollfd pf = {sigfd, POLLIN, 0};
		if (poll(&pf, 1, -1) < 0 && errno != EINTR)
			break;
		struct signalfd_siginfo si;
		if ((pf.revents & POLLIN) && read(sigfd, &si, sizeof si) == (ssize_t)sizeof si &&
		    si.ssi_signo != SIGCHLD && si.ssi_signo != SIGWINCH && !sig) {
			sig = (int)si.ssi_signo;
			kill(pid, sig);
		}
	}
	return sig ? 128 + sig : exit_status(st);
}

static int spawn_and_wait(struct shell *sh)
{
	int keep[4] = {-1, -1, -1, -1}, nk = 0;
	if (sh->rcfd >= 0)
		keep[nk++] = sh->rcfd;
	if (sh->have_js) {
		keep[nk++] = sh->js.rfd;
		keep[nk++] = sh->js.wfd;
	}
	struct sandbox_spec spec;
	if (sh->step_id) {
		runner_step_spec(&sh->run, &sh->sv, sh->argv.v, keep, &spec);
	} else {
		memset(&spec, 0, sizeof spec);
		spec.mode = SANDBOX_CHROOT;
		spec.root = sh->root;
		spec.cwd = "/";
		spec.hostname = sh->cfg->hostname;
		spec.argv = sh->argv.v;
		spec.envp = sh->env.v;
		spec.keep_fds = keep;
	}
	spec.envp = sh->env.v;
	spec.stdin_fd = STDIN_FILENO;
	spec.stdout_fd = STDOUT_FILENO;
	spec.stderr_fd = STDERR_FILENO;
	struct winsize ws;
	spec.pty = sh->tty;
	if (sh->tty && ioctl(STDIN_FILENO, TIOCGWINSZ, &ws) == 0) {
		spec.rows = ws.ws_row;
		spec.cols = ws.ws_col;
	}
	sigset_t mask, old;
	sigemptyset(&mask);
	for (size_t k = 0; k < ARRAY_LEN(forwarded); k++)
		sigaddset(&mask, forwarded[k]);
	sigaddset(&mask, SIGCHLD);
	sigaddset(&mask, SIGWINCH);
	sigprocmask(SIG_BLOCK, &mask, &old);
	int sigfd = signalfd(-1, &mask, SFD_CLOEXEC), master = -1, rc = EXIT_FAIL;
	struct sandbox_plan *plan = sandbox_plan_new(&spec);
	char err[1024];
	pid_t pid = sigfd < 0 ? -1 : sh->tty ? sandbox_spawn_pty(plan, &master, err, sizeof err)
	                                     : sandbox_spawn(plan, err, sizeof err);
	if (sigfd < 0)
		errorf("signalfd:");
	else if (pid < 0)
		errorf("the sandbox could not start the shell: %s", err);
	else
		rc = sh->tty ? proxy(master, pid, sigfd) : wait_plain(pid, sigfd);
	sandbox_plan_free(plan);
	if (master >= 0)
		close(master);
	if (sigfd >= 0)
		close(sigfd);
	sigprocmask(SIG_SETMASK, &old, NULL);
	return rc;
}

static void shell_close(struct shell *sh)
{
	if (sh->rcfd >= 0)
		close(sh->rcfd);
	if (sh->have_sv)
		step_view_free(&sh->sv);
	if (sh->have_runner)
		runner_free(&sh->run); /* also removes $LFS/build, the chroot's mount point, if empty */
	if (sh->have_js)
		jobserver_close(&sh->js);
	if (sh->have_set) {
		manifest_free(&sh->man);
		recipe_set_free(&sh->set);
	}
	if (sh->lock >= 0)
		close(sh->lock);
	strv_free(&sh->env);
	strv_free(&sh->argv);
	free(sh->root);
}

int shell_run(const struct config *cfg, const char *step)
{
	struct shell sh = {.cfg = cfg, .step_id = step, .step = -1, .lock = -1, .rcfd = -1};
	/* 0-2 closed (CI runs without stdin): /dev/null there, before a lock or a pipe takes them */
	for (int fd = 0; fd < 3; fd++)
		if (fcntl(fd, F_GETFD) < 0 && errno == EBADF) {
			int n = open("/dev/null", O_RDWR);
			if (n > fd)
				close(n);
		}
	sh.root = config_path(cfg, "root");
	sh.tty = !cfg->shell_command && isatty(STDIN_FILENO);
	int rc = check(&sh);
	if (rc == 0)
		rc = (sh.lock = state_lock_take(sh.cfg->workdir, "shell", "no shell was opened")) < 0 ? EXIT_FAIL : 0;
	if (rc == 0) {
		if (step)
			rc = step_command(&sh) < 0 ? EXIT_FAIL : 0;
		else
			system_command(&sh);
	}
	if (rc == 0) {
		banner(&sh);
		rc = spawn_and_wait(&sh);
	}
	shell_close(&sh);
	return rc;
}
