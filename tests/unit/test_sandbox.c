/* Unit tests of sandbox: the plans, and spawning through each mode.
 * The binary is also the driver of tests/sandbox/sandbox.sh:
 *   test_sandbox run [--mode user|host-root|chroot] [--root DIR] [--builddir DIR]
 *        [--builddir-in DIR] [--cwd DIR] [--uid N] [--gid N] [--hostname NAME] [--env K=V]...
 *        [--keep FD]... [--explain] -- COMMAND...
 * runs COMMAND through sandbox_spawn with fds 0-2 its own, and exits with the command's status
 * (128+N for a signal); a set-up failure prints "sandbox: MESSAGE" and exits 125. */
#include "unit.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <grp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "engine/sandbox.h"
#include "lib/util.h"

#define NOBODY 65534

static char *plan_text(const struct sandbox_spec *s)
{
	struct sandbox_plan *p = sandbox_plan_new(s);
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);
	sandbox_plan_print(p, f);
	fclose(f);
	sandbox_plan_free(p);
	return text;
}

static char *const env0[] = {"PATH=/usr/bin:/bin", "LC_ALL=POSIX", NULL};

static struct sandbox_spec base_spec(enum sandbox_mode mode, char *const *argv)
{
	struct sandbox_spec s = {
		.mode = mode, .root = "/var/tmp/lfs", .builddir = "/var/tmp/lfs-build/gcc",
		.builddir_in = mode == SANDBOX_CHROOT ? "/build" : "/var/tmp/lfs-build/gcc",
		.uid = 2000, .gid = 2000, .argv = argv, .envp = env0,
		.stdin_fd = 0, .stdout_fd = 1, .stderr_fd = 2,
	};
	return s;
}

static void test_plan_user(void **state)
{
	(void)state;
	char *argv[] = {"/bin/bash", "-e", "build script", NULL};
	int keep[] = {5, 6, -1};
	struct sandbox_spec s = base_spec(SANDBOX_USER, argv);
	s.keep_fds = keep;
	char *t = plan_text(&s);
	assert_non_null(strstr(t, "sandbox mode user\n"));
	assert_non_null(strstr(t, "keep 5,6, close the rest"));
	assert_non_null(strstr(t, "unshare mount,net,pid,uts,ipc"));
	assert_non_null(strstr(t, "make-rprivate /"));
	assert_non_null(strstr(t, "bind-rw /var/tmp/lfs /var/tmp/lfs"));
	assert_non_null(strstr(t, "bind-rw /var/tmp/lfs-build/gcc /var/tmp/lfs-build/gcc"));
	assert_non_null(strstr(t, "remount-ro every mount of /proc/self/mountinfo but /var/tmp/lfs /var/tmp/lfs-build/gcc /proc /sys"));
	assert_non_null(strstr(t, "tmpfs /tmp (nosuid,nodev,mode=1777)"));
	assert_non_null(strstr(t, "proc /proc"));
	assert_non_null(strstr(t, "no-new-privs"));
	assert_non_null(strstr(t, "chdir /var/tmp/lfs-build/gcc"));
	assert_non_null(strstr(t, "exec /bin/bash -e 'build script' (environment: only PATH LC_ALL)"));
	if (geteuid() == 0) {
		assert_non_null(strstr(t, "setgid 2000\n"));
		assert_non_null(strstr(t, "setuid 2000\n"));
		assert_null(strstr(t, "unshare user"));
	} else {
		assert_non_null(strstr(t, "unshare user"));
		assert_null(strstr(t, "setuid"));
	}
	/* the init and command phases are indented below their fork */
	assert_non_null(strstr(t, "\n    make-rprivate /"));
	assert_non_null(strstr(t, "\n      setsid"));
	free(t);

	/* a builddir inside root needs no bind of its own; paths below /tmp are held and re-bound */
	s.root = "/tmp/x/lfs";
	s.builddir = s.builddir_in = "/tmp/x/lfs/build";
	t = plan_text(&s);
	assert_null(strstr(t, "bind-rw /tmp/x/lfs/build"));
	assert_non_null(strstr(t, "hold /tmp/x/lfs"));
	assert_non_null(strstr(t, "bind-rw /tmp/x/lfs /tmp/x/lfs (from the held fd"));
	assert_true(strstr(t, "tmpfs /tmp") < strstr(t, "(from the held fd"));
	free(t);
}

/* A build tmpfs: attached at the build directory first of all the namespace's mounts (so the
 * binds of the build directory take it), kept until then but not the command's; none without. */
static void test_plan_build_tmpfs(void **state)
{
	(void)state;
	char *argv[] = {"/bin/bash", NULL};
	int keep[] = {5, -1};
	enum sandbox_mode modes[] = {SANDBOX_USER, SANDBOX_CHROOT};
	for (size_t m = 0; m < 2; m++) {
		struct sandbox_spec s = base_spec(modes[m], argv);
		s.keep_fds = keep;
		char *t = plan_text(&s);
		assert_null(strstr(t, "attach-tmpfs"));
		free(t);
		s.build_tmpfs = 9;
		t = plan_text(&s);
		const char *at = strstr(t, "attach-tmpfs /var/tmp/lfs-build/gcc (fd 9,");
		assert_non_null(at);
		assert_non_null(strstr(t, "keep 5, 9 until attach-tmpfs, close the rest"));
		assert_true(strstr(t, "make-rprivate /") < at);
		const char *bind = strstr(t, "bind-rw /var/tmp/lfs-build/gcc ");
		assert_non_null(bind);
		assert_true(at < bind);
		free(t);
	}
}

/* lfsbuild repro: the step sees a scratch root at root (bound there, or the overlay's lower layer
 * with a capture) and, in the user modes, a scratch build directory where a build has its own
 * (bound there, its mount point made if missing); the chroot binds the scratch build directory. */
static void test_plan_scratch(void **state)
{
	(void)state;
	char *argv[] = {"/bin/bash", NULL};
	struct sandbox_spec s = base_spec(SANDBOX_USER, argv);
	s.root_from = "/var/tmp/w/repro/x/root";
	s.builddir = "/var/tmp/w/repro/x/build/x";
	s.builddir_in = "/var/tmp/w/build/x";
	char *t = plan_text(&s);
	assert_non_null(strstr(t, "bind-rw /var/tmp/w/repro/x/root /var/tmp/lfs (with its submounts)"));
	assert_non_null(strstr(t, "bind-rw /var/tmp/w/repro/x/build/x /var/tmp/w/build/x (with its submounts)"));
	assert_non_null(strstr(t, "remount-ro every mount of /proc/self/mountinfo but /var/tmp/lfs /var/tmp/w/build/x /proc"));
	assert_non_null(strstr(t, "chdir /var/tmp/w/build/x"));
	free(t);
	s.capture = "/var/tmp/w/repro/x/capture/x";
	t = plan_text(&s);
	assert_non_null(strstr(t, "overlay /var/tmp/lfs (lowerdir /var/tmp/w/repro/x/root as it is, upperdir "
	                          "/var/tmp/w/repro/x/capture/x/upper,"));
	free(t);
	s = base_spec(SANDBOX_CHROOT, argv);
	s.root_from = "/var/tmp/w/repro/x/root";
	s.builddir = "/var/tmp/w/repro/x/build/x";
	s.builddir_in = "/build/x";
	t = plan_text(&s);
	assert_non_null(strstr(t, "bind-rw /var/tmp/w/repro/x/root /var/tmp/lfs (with its submounts)"));
	assert_non_null(strstr(t, "bind-rw /var/tmp/w/repro/x/build/x /var/tmp/lfs/build/x"));
	assert_non_null(strstr(t, "pivot-root /var/tmp/lfs"));
	free(t);
	s.root_from = "w/relative";
	t = plan_text(&s);
	assert_non_null(strstr(t, "cannot run: sandbox: root, root_from and builddir must be absolute"));
	free(t);
}

/* --icecream: a step that goes through icecc keeps lfsbuild's network; in the chroot it gets the
 * icecream directory read-only and the daemon's socket on its /run tmpfs; in user mode the host's
 * /sys stays (a new sysfs belongs to a new network namespace) and a directory under /tmp is bound
 * back read-only. */
static void test_plan_icecream(void **state)
{
	(void)state;
	char *argv[] = {"/bin/bash", "-c", "make", NULL};
	struct sandbox_spec s = base_spec(SANDBOX_CHROOT, argv);
	s.share_net = true;
	s.icecream_dir = "/var/tmp/w/icecream";
	s.icecream_socket = "/var/tmp/w/icecream/daemon/iceccd.socket";
	char *t = plan_text(&s);
	assert_non_null(strstr(t, "unshare mount,pid,uts,ipc (not net"));
	assert_null(strstr(t, "lo up"));
	assert_non_null(strstr(t, "bind-ro /var/tmp/w/icecream /var/tmp/lfs" ICECREAM_DIR_IN " (ro,nosuid,nodev"));
	assert_non_null(strstr(t, "bind /var/tmp/w/icecream/daemon/iceccd.socket /var/tmp/lfs" ICECREAM_SOCKET_IN));
	assert_true(strstr(t, "tmpfs /var/tmp/lfs/run ") < strstr(t, "bind-ro /var/tmp/w/icecream"));
	free(t);
	s.share_net = false;
	s.icecream_dir = s.icecream_socket = NULL;
	t = plan_text(&s);
	assert_non_null(strstr(t, "unshare mount,net,pid,uts,ipc"));
	assert_non_null(strstr(t, "lo up"));
	free(t);
	s = base_spec(SANDBOX_USER, argv);
	s.share_net = true;
	s.icecream_dir = "/tmp/w/icecream";
	s.icecream_socket = "/tmp/w/icecream/daemon/iceccd.socket";
	t = plan_text(&s);
	assert_null(strstr(t, "sysfs /sys"));
	assert_null(strstr(t, "lo up"));
	assert_non_null(strstr(t, "hold /tmp/w/icecream"));
	assert_non_null(strstr(t, "bind-ro /tmp/w/icecream /tmp/w/icecream (from the held fd, read-only)"));
	free(t);
}

static void test_plan_chroot(void **state)
{
	(void)state;
	char *argv[] = {"/bin/bash", "-c", "make", NULL};
	struct sandbox_spec s = base_spec(SANDBOX_CHROOT, argv);
	s.hostname = "lfsbox";
	s.cwd = "/build/src";
	char *t = plan_text(&s);
	assert_non_null(strstr(t, "sandbox mode chroot\n"));
	assert_non_null(strstr(t, "sethostname lfsbox"));
	assert_non_null(strstr(t, "tmpfs /var/tmp/lfs/dev (nosuid,noexec,mode=0755)"));
	assert_non_null(strstr(t, "mknod /var/tmp/lfs/dev/null c 1 3"));
	assert_non_null(strstr(t, "devpts /var/tmp/lfs/dev/pts (nosuid,noexec,newinstance,ptmxmode=0666,mode=0620,gid=5)"));
	assert_non_null(strstr(t, "proc /var/tmp/lfs/proc"));
	assert_non_null(strstr(t, "bind-ro /var/tmp/lfs/proc/sys /var/tmp/lfs/proc/sys (ro,"));
	assert_null(strstr(t, "mknod,"));
	assert_null(strstr(t, "sys_admin"));
	assert_non_null(strstr(t, "sysfs /var/tmp/lfs/sys (ro,nosuid,nodev,noexec)"));
	assert_non_null(strstr(t, "tmpfs /var/tmp/lfs/run"));
	assert_non_null(strstr(t, "bind-rw /var/tmp/lfs-build/gcc /var/tmp/lfs/build"));
	assert_non_null(strstr(t, "pivot-root /var/tmp/lfs"));
	assert_non_null(strstr(t, "drop-caps all but chown,dac_override,fowner"));
	assert_non_null(strstr(t, "chdir /build/src"));
	assert_null(strstr(t, "setgroups"));
	assert_null(strstr(t, "remount-ro"));
	if (geteuid() != 0)
		assert_non_null(strstr(t, "cannot run: sandbox: mode chroot needs root"));
	free(t);
}

/* Run argv in mode with root and builddir `dir`; returns the wait status, the output in out. */
static int run(enum sandbox_mode mode, const char *dir, char *const *argv, const int *keep,
	       char *out, size_t outlen, char *err, size_t errlen)
{
	int pfd[2];
	assert_int_equal(pipe2(pfd, O_CLOEXEC), 0);
	struct sandbox_spec s = {
		.mode = mode, .root = dir, .builddir = dir, .builddir_in = dir, .uid = NOBODY, .gid = NOBODY,
		.argv = argv, .envp = env0, .keep_fds = keep, .stdin_fd = -1, .stdout_fd = pfd[1], .stderr_fd = pfd[1],
	};
	struct sandbox_plan *p = sandbox_plan_new(&s);
	pid_t pid = sandbox_spawn(p, err, errlen);
	sandbox_plan_free(p);
	close(pfd[1]);
	size_t len = 0;
	ssize_t n;
	while (len < outlen - 1 && (n = read(pfd[0], out + len, outlen - 1 - len)) > 0)
		len += (size_t)n;
	out[len] = '\0';
	close(pfd[0]);
	if (pid < 0)
		return -1;
	int st;
	struct rusage ru;
	assert_int_equal(wait4(pid, &st, 0, &ru), pid);
	return st;
}

static char *scratch(void)
{
	char *d = xstrdup("/var/tmp/lfsbuild-sbx-XXXXXX");
	assert_non_null(mkdtemp(d));
	assert_int_equal(chmod(d, 0755), 0);
	if (geteuid() == 0)
		assert_int_equal(chown(d, NOBODY, NOBODY), 0);
	return d;
}

static void test_spawn_output_and_status(void **state)
{
	(void)state;
	char *dir = scratch();
	char out[4096], err[512];
	char *argv[] = {"sh", "-c", "echo hello $LC_ALL; echo oops >&2; exit 3", NULL};
	int st = run(SANDBOX_USER, dir, argv, NULL, out, sizeof out, err, sizeof err);
	assert_true(WIFEXITED(st));
	assert_int_equal(WEXITSTATUS(st), 3);
	assert_string_equal(out, "hello POSIX\noops\n");

	/* the command killed by a signal: the spawned pid ends by the same signal */
	char *kill_argv[] = {"sh", "-c", "kill -TERM $$", NULL};
	st = run(SANDBOX_USER, dir, kill_argv, NULL, out, sizeof out, err, sizeof err);
	assert_true(WIFSIGNALED(st));
	assert_int_equal(WTERMSIG(st), SIGTERM);
	remove_tree(dir);
	free(dir);
}

static void test_spawn_fds(void **state)
{
	(void)state;
	char *dir = scratch();
	/* a kept fd (the jobserver) and a leaked one that is not CLOEXEC: only the first survives */
	int kp[2];
	assert_int_equal(pipe(kp), 0);
	assert_int_equal(dup2(kp[1], 7), 7);
	assert_int_equal(fcntl(7, F_SETFD, FD_CLOEXEC), 0); /* kept even when CLOEXEC */
	close(kp[1]);
	assert_int_equal(dup2(0, 8), 8);
	int keep[] = {7, -1};
	char *argv[] = {"sh", "-c", "echo jobserver >&7; ls /proc/self/fd", NULL};
	char out[4096], err[512];
	int st = run(SANDBOX_USER, dir, argv, keep, out, sizeof out, err, sizeof err);
	assert_true(WIFEXITED(st));
	assert_int_equal(WEXITSTATUS(st), 0);
	close(7);
	char got[64] = "";
	assert_true(read(kp[0], got, sizeof got - 1) > 0);
	assert_string_equal(got, "jobserver\n");
	/* 0 1 2, ls's own directory fd (3), the kept fd; not 8, nor the spawner's pipes */
	assert_string_equal(out, "0\n1\n2\n3\n7\n");
	close(kp[0]);
	close(8);
	remove_tree(dir);
	free(dir);
}

/* lfsbuild ignores SIGPIPE and blocks signals for its self-pipe: the step gets the defaults. */
static void test_spawn_signals_reset(void **state)
{
	(void)state;
	char *dir = scratch();
	void (*old)(int) = signal(SIGPIPE, SIG_IGN);
	sigset_t block, prev;
	sigemptyset(&block);
	sigaddset(&block, SIGTERM);
	sigaddset(&block, SIGCHLD);
	sigprocmask(SIG_BLOCK, &block, &prev);
	char *argv[] = {"grep", "-E", "^Sig(Ign|Blk)", "/proc/self/status", NULL};
	char out[4096], err[512];
	int st = run(SANDBOX_USER, dir, argv, NULL, out, sizeof out, err, sizeof err);
	sigprocmask(SIG_SETMASK, &prev, NULL);
	signal(SIGPIPE, old);
	assert_true(WIFEXITED(st));
	assert_int_equal(WEXITSTATUS(st), 0);
	assert_string_equal(out, "SigBlk:\t0000000000000000\nSigIgn:\t0000000000000000\n");
	remove_tree(dir);
	free(dir);
}

/* wait4 on the spawned pid counts the command's CPU time (init and the outer process reap it). */
static void test_spawn_rusage(void **state)
{
	(void)state;
	char *dir = scratch();
	int pfd[2];
	assert_int_equal(pipe2(pfd, O_CLOEXEC), 0);
	char *argv[] = {"sh", "-c", "i=0; while [ $i -lt 1000000 ]; do i=$((i+1)); done", NULL};
	struct sandbox_spec s = {
		.mode = SANDBOX_USER, .root = dir, .builddir = dir, .uid = NOBODY, .gid = NOBODY,
		.argv = argv, .envp = env0, .stdin_fd = -1, .stdout_fd = -1, .stderr_fd = -1,
	};
	struct sandbox_plan *p = sandbox_plan_new(&s);
	char err[256];
	double t0 = now_mono();
	pid_t pid = sandbox_spawn(p, err, sizeof err);
	sandbox_plan_free(p);
	assert_true(pid > 0);
	int st;
	struct rusage ru;
	assert_int_equal(wait4(pid, &st, 0, &ru), pid);
	double wall = now_mono() - t0;
	double cpu = (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6 +
		     (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec / 1e6;
	print_message("wall %.2fs, cpu %.2fs\n", wall, cpu);
	assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	assert_true(cpu > 0.2); /* the loop alone takes ~0.7 s of CPU; without the reaping chain ~0 */
	assert_true(wall >= cpu * 0.9);
	close(pfd[0]);
	close(pfd[1]);
	remove_tree(dir);
	free(dir);
}

static void test_spawn_errors(void **state)
{
	(void)state;
	char *dir = scratch();
	char out[256], err[512];
	char *argv[] = {"/nonexistent/tool", NULL};
	assert_int_equal(run(SANDBOX_USER, dir, argv, NULL, out, sizeof out, err, sizeof err), -1);
	assert_string_equal(err, "exec /nonexistent/tool: No such file or directory");

	char *argv2[] = {"no-such-tool-anywhere", NULL};
	assert_int_equal(run(SANDBOX_USER, dir, argv2, NULL, out, sizeof out, err, sizeof err), -1);
	assert_string_equal(err, "exec no-such-tool-anywhere: No such file or directory");

	/* a missing root: the failing operation and its path */
	char *argv3[] = {"true", NULL};
	char *missing = path_join(dir, "missing");
	assert_int_equal(run(SANDBOX_USER, missing, argv3, NULL, out, sizeof out, err, sizeof err), -1);
	char *want = xasprintf("bind-rw %s %s: No such file or directory", missing, missing);
	assert_string_equal(err, want);
	free(want);
	free(missing);

	/* invalid specs are refused before forking */
	struct sandbox_spec s = base_spec(SANDBOX_USER, argv3);
	s.uid = 0;
	struct sandbox_plan *p = sandbox_plan_new(&s);
	if (geteuid() == 0) {
		assert_int_equal(sandbox_spawn(p, err, sizeof err), -1);
		assert_non_null(strstr(err, "non-zero build uid"));
	}
	sandbox_plan_free(p);
	remove_tree(dir);
	free(dir);
}

/* run() with an environment and a working directory of the test's choosing. */
static int run_env(const char *dir, char *const *argv, char *const *envp, char *out, size_t outlen, char *err,
		   size_t errlen)
{
	int pfd[2];
	assert_int_equal(pipe2(pfd, O_CLOEXEC), 0);
	struct sandbox_spec s = {
		.mode = SANDBOX_USER, .root = dir, .builddir = dir, .builddir_in = dir, .cwd = dir, .uid = NOBODY,
		.gid = NOBODY, .argv = argv, .envp = envp, .stdin_fd = -1, .stdout_fd = pfd[1], .stderr_fd = pfd[1],
	};
	struct sandbox_plan *p = sandbox_plan_new(&s);
	pid_t pid = sandbox_spawn(p, err, errlen);
	sandbox_plan_free(p);
	close(pfd[1]);
	ssize_t n = read(pfd[0], out, outlen - 1);
	out[n > 0 ? n : 0] = '\0';
	close(pfd[0]);
	int st = -1;
	if (pid > 0)
		assert_int_equal(waitpid(pid, &st, 0), pid);
	return st;
}

/* A bare command name is looked up in the step's PATH. An element so long that the candidate
 * exceeds PATH_MAX is skipped whole: cut short it would name another program (here /usr/bin/true
 * for a tool that exists nowhere). An empty element is the working directory. */
static void test_spawn_path_lookup(void **state)
{
	(void)state;
	if (access("/usr/bin/true", X_OK) < 0)
		skip();
	char *dir = scratch();
	char out[256], err[512];
	struct buf longdir = {0};
	buf_puts(&longdir, "PATH=/usr/bin/");
	for (int i = 0; i < 4082; i++)
		buf_puts(&longdir, "/");
	buf_puts(&longdir, "true-and-more");
	/* the first PATH_MAX-1 bytes of "ELEMENT/NAME" are /usr/bin/////...////true */
	char *argv[] = {"lfsbuild-no-such-tool", NULL};
	char *env1[] = {longdir.data, NULL};
	assert_int_equal(run_env(dir, argv, env1, out, sizeof out, err, sizeof err), -1);
	assert_string_equal(err, "exec lfsbuild-no-such-tool: File name too long");

	char *env2[] = {xasprintf("%s:/nonexistent:/usr/bin", longdir.data), NULL};
	char *argv2[] = {"true", NULL};
	int st = run_env(dir, argv2, env2, out, sizeof out, err, sizeof err);
	assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	free(env2[0]);

	char *tool = path_join(dir, "lfsbuild-here-tool");
	assert_int_equal(write_file_atomic(tool, "#!/bin/sh\necho found in cwd\n", 28, 0755), 0);
	char *env3[] = {"PATH=/nonexistent::/usr/bin", NULL};
	char *argv3[] = {"lfsbuild-here-tool", NULL};
	st = run_env(dir, argv3, env3, out, sizeof out, err, sizeof err);
	assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	assert_string_equal(out, "found in cwd\n");
	free(tool);
	buf_free(&longdir);
	remove_tree(dir);
	free(dir);
}

/* As root (as the tests run in CI), the check runs in a child that has become nobody first. */
static void test_spawn_chroot_needs_root(void **state)
{
	(void)state;
	char *argv[] = {"true", NULL};
	struct sandbox_spec s = base_spec(SANDBOX_CHROOT, argv);
	char err[256] = "";
	if (geteuid() != 0) {
		struct sandbox_plan *p = sandbox_plan_new(&s);
		assert_int_equal(sandbox_spawn(p, err, sizeof err), -1);
		assert_non_null(strstr(err, "needs root"));
		sandbox_plan_free(p);
		return;
	}
	int pfd[2];
	assert_int_equal(pipe(pfd), 0);
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		close(pfd[0]);
		if (setgroups(0, NULL) < 0 || setresgid(65534, 65534, 65534) < 0 || setresuid(65534, 65534, 65534) < 0)
			_exit(3);
		struct sandbox_plan *p = sandbox_plan_new(&s);   /* the plan is judged as it is made */
		int r = sandbox_spawn(p, err, sizeof err);
		if (write(pfd[1], err, strlen(err)) < 0)
			_exit(4);
		_exit(r == -1 ? 0 : 5);
	}
	close(pfd[1]);
	char got[256] = "";
	ssize_t n = read(pfd[0], got, sizeof got - 1);
	close(pfd[0]);
	got[n > 0 ? n : 0] = 0;
	int status;
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
	if (!strstr(got, "needs root"))
		fail_msg("as nobody: %s", got);
}

/* A pty (lfsbuild shell): the command's 0-2 and controlling terminal (/dev/tty opens), with the
 * size asked for; its master comes back to the spawner, which reads EIO once the command is gone. */
static void test_spawn_pty(void **state)
{
	(void)state;
	char *dir = scratch();
	char *argv[] = {"sh", "-c", "tty; stty size; echo via-dev-tty >/dev/tty && echo ctty; exit 4", NULL};
	struct sandbox_spec s = {
		.mode = SANDBOX_USER, .root = dir, .builddir = dir, .builddir_in = dir, .uid = NOBODY, .gid = NOBODY,
		.argv = argv, .envp = env0, .stdin_fd = 0, .stdout_fd = 1, .stderr_fd = 2, .pty = true, .rows = 33, .cols = 77,
	};
	struct sandbox_plan *p = sandbox_plan_new(&s);
	char err[512];
	assert_int_equal(sandbox_spawn(p, err, sizeof err), -1); /* a pty plan wants sandbox_spawn_pty */
	assert_non_null(strstr(err, "sandbox_spawn_pty"));
	int master = -1;
	pid_t pid = sandbox_spawn_pty(p, &master, err, sizeof err);
	sandbox_plan_free(p);
	if (pid < 0)
		fail_msg("sandbox_spawn_pty: %s", err);
	assert_true(master >= 0);
	assert_true(fcntl(master, F_GETFD) & FD_CLOEXEC);
	char out[4096];
	size_t len = 0;
	ssize_t n;
	while (len < sizeof out - 1 && ((n = read(master, out + len, sizeof out - 1 - len)) > 0 || (n < 0 && errno == EINTR)))
		len += n > 0 ? (size_t)n : 0;
	out[len] = '\0';
	assert_true(n < 0 && errno == EIO); /* every slave fd closed */
	close(master);
	int st;
	assert_int_equal(waitpid(pid, &st, 0), pid);
	assert_true(WIFEXITED(st));
	assert_int_equal(WEXITSTATUS(st), 4);
	if (!strstr(out, "/dev/pts/") || !strstr(out, "33 77") || !strstr(out, "via-dev-tty\r\nctty"))
		fail_msg("on the pty: %s", out);
	s.mode = SANDBOX_CHROOT;
	s.root = "/var/tmp/lfs";
	char *t = plan_text(&s);
	remove_tree(dir);
	free(dir);
	assert_non_null(strstr(t, "fds 0<-1 1<-1 2<-1"));
	assert_non_null(strstr(t, "    open-pty /dev/ptmx"));
	assert_non_null(strstr(t, "      setsid\n      controlling-tty the new pty"));
	assert_true(strstr(t, "pivot-root") < strstr(t, "open-pty")); /* from the chroot's own devpts */
	free(t);
}

/* A chroot step's mount points under $LFS are the root's, which earlier steps made (as the
 * build uid in chapters 5-6): one turned into a symlink is refused, nothing is mounted there. */
static void test_spawn_chroot_mount_point_symlink(void **state)
{
	(void)state;
	if (geteuid() != 0)
		skip(); /* chroot mode needs root */
	char *root = scratch(), *out = scratch();
	char *argv[] = {"true", NULL};
	const char *names[] = {"dev", "proc", "sys", "run", "build"};
	for (size_t i = 0; i < ARRAY_LEN(names); i++) {
		for (size_t k = 0; k < ARRAY_LEN(names); k++) { /* the others are directories */
			char *p = path_join(root, names[k]);
			remove_tree(p);
			assert_int_equal(k == i ? symlink(out, p) : mkdir(p, 0755), 0);
			free(p);
		}
		struct sandbox_spec s = base_spec(SANDBOX_CHROOT, argv);
		s.root = root;
		s.builddir = out;
		s.builddir_in = "/build/x";
		s.stdout_fd = s.stderr_fd = -1;
		struct sandbox_plan *p = sandbox_plan_new(&s);
		char err[1024] = "";
		assert_int_equal(sandbox_spawn(p, err, sizeof err), -1);
		sandbox_plan_free(p);
		char *want = xasprintf("%s/%s is a symlink (-> %s): a mount point is never reached through a link", root,
		                       names[i], out);
		if (!strstr(err, want))
			fail_msg("%s: got \"%s\"", names[i], err);
		free(want);
		DIR *d = opendir(out);
		int entries = 0;
		for (struct dirent *e; d && (e = readdir(d));)
			entries += strcmp(e->d_name, ".") && strcmp(e->d_name, "..");
		closedir(d);
		assert_int_equal(entries, 0); /* nothing was made through it */
	}
	remove_tree(root);
	remove_tree(out);
	free(root);
	free(out);
}

/* ---- the driver for tests/sandbox/sandbox.sh ---- */

static int driver(int argc, char **argv)
{
	static const struct option opts[] = {
		{"mode", 1, 0, 'm'}, {"root", 1, 0, 'r'}, {"builddir", 1, 0, 'b'}, {"builddir-in", 1, 0, 'i'},
		{"cwd", 1, 0, 'c'}, {"uid", 1, 0, 'u'}, {"gid", 1, 0, 'g'}, {"hostname", 1, 0, 'h'},
		{"env", 1, 0, 'e'}, {"keep", 1, 0, 'k'}, {"explain", 0, 0, 'x'}, {0, 0, 0, 0},
	};
	struct sandbox_spec s = {.uid = NOBODY, .gid = NOBODY, .stdin_fd = 0, .stdout_fd = 1, .stderr_fd = 2};
	struct strv env = {0};
	int keep[16], nkeep = 0, c;
	bool explain = false;
	while ((c = getopt_long(argc, argv, "+", opts, NULL)) != -1) {
		switch (c) {
		case 'm':
			s.mode = !strcmp(optarg, "chroot") ? SANDBOX_CHROOT : !strcmp(optarg, "host-root") ? SANDBOX_HOST_ROOT : SANDBOX_USER;
			break;
		case 'r': s.root = optarg; break;
		case 'b': s.builddir = optarg; break;
		case 'i': s.builddir_in = optarg; break;
		case 'c': s.cwd = optarg; break;
		case 'u': s.uid = (uid_t)atoi(optarg); break;
		case 'g': s.gid = (gid_t)atoi(optarg); break;
		case 'h': s.hostname = optarg; break;
		case 'e': strv_add(&env, optarg); break;
		case 'k': if (nkeep < 15) keep[nkeep++] = atoi(optarg); break;
		case 'x': explain = true; break;
		default: return 2;
		}
	}
	if (!env.n)
		strv_add(&env, "PATH=/usr/bin:/bin");
	keep[nkeep] = -1;
	s.keep_fds = keep;
	s.envp = env.v;
	s.argv = argv + optind;
	struct sandbox_plan *p = sandbox_plan_new(&s);
	if (explain) {
		sandbox_plan_print(p, stdout);
		sandbox_plan_free(p);
		strv_free(&env);
		return 0;
	}
	char err[1024];
	pid_t pid = sandbox_spawn(p, err, sizeof err);
	sandbox_plan_free(p);
	strv_free(&env);
	if (pid < 0) {
		fprintf(stderr, "sandbox: %s\n", err);
		return 125;
	}
	int st;
	struct rusage ru;
	while (wait4(pid, &st, 0, &ru) < 0)
		if (errno != EINTR)
			return 126;
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

int main(int argc, char **argv)
{
	if (argc > 1 && !strcmp(argv[1], "run"))
		return driver(argc - 1, argv + 1);
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_plan_user),
		cmocka_unit_test(test_plan_chroot),
		cmocka_unit_test(test_plan_scratch),
		cmocka_unit_test(test_plan_icecream),
		cmocka_unit_test(test_spawn_output_and_status),
		cmocka_unit_test(test_spawn_fds),
		cmocka_unit_test(test_spawn_signals_reset),
		cmocka_unit_test(test_spawn_rusage),
		cmocka_unit_test(test_spawn_errors),
		cmocka_unit_test(test_spawn_path_lookup),
		cmocka_unit_test(test_spawn_chroot_needs_root),
		cmocka_unit_test(test_spawn_pty),
		cmocka_unit_test(test_plan_build_tmpfs),
		cmocka_unit_test(test_spawn_chroot_mount_point_symlink),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
