/* exec: run external tools with their command line logged and their output captured. */
#include "lib/exec.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

char *exec_cmdline(char *const argv[])
{
	struct buf b = {0};
	for (size_t i = 0; argv[i]; i++) {
		const char *a = argv[i];
		if (i)
			buf_puts(&b, " ");
		char *q = shell_word(a);
		buf_puts(&b, q);
		free(q);
	}
	if (!b.data)
		buf_puts(&b, "");
	return b.data;
}

bool exec_found(const char *prog)
{
	if (strchr(prog, '/'))
		return access(prog, X_OK) == 0;
	const char *path = getenv("PATH");
	if (!path)
		path = "/usr/bin:/bin:/usr/sbin:/sbin";
	char *copy = xstrdup(path), *save = NULL;
	bool found = false;
	for (char *d = strtok_r(copy, ":", &save); d && !found; d = strtok_r(NULL, ":", &save)) {
		char *p = path_join(d, prog);
		found = access(p, X_OK) == 0;
		free(p);
	}
	free(copy);
	return found;
}

static int spawn_in(pid_t *pid, const char *dir, char *const argv[], int in0, int out, int err);

static void child_fd(int from, int to)
{
	if (from == EXEC_NULL) {
		from = open("/dev/null", O_RDWR);
		if (from < 0)
			_exit(127);
	}
	if (from >= 0 && dup2(from, to) < 0)
		_exit(127);
}

int exec_spawn(pid_t *pid, char *const argv[], int in0, int out, int err)
{
	return spawn_in(pid, NULL, argv, in0, out, err);
}

int exec_spawn_in(pid_t *pid, const char *dir, char *const argv[], int in0, int out, int err)
{
	return spawn_in(pid, dir, argv, in0, out, err);
}

/* exec_spawn in the working directory `dir` (NULL: lfsbuild's). */
static int spawn_in(pid_t *pid, const char *dir, char *const argv[], int in0, int out, int err)
{
	int ep[2];
	if (pipe2(ep, O_CLOEXEC) < 0)
		return errno;
	pid_t parent = getpid();
	pid_t p = fork();
	if (p < 0) {
		int e = errno;
		close(ep[0]);
		close(ep[1]);
		return e;
	}
	if (p == 0) {
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		if (getppid() != parent)
			_exit(127);
		sigset_t none;
		sigemptyset(&none);
		sigprocmask(SIG_SETMASK, &none, NULL);
		signal(SIGPIPE, SIG_DFL);
		/* dup2 in an order that never overwrites a source before it is used. */
		int fds[3] = {in0, out, err};
		for (int i = 0; i < 3; i++)
			if (fds[i] >= 0 && fds[i] < 3 && fds[i] != i)
				fds[i] = fcntl(fds[i], F_DUPFD_CLOEXEC, 3);
		for (int i = 0; i < 3; i++)
			child_fd(fds[i], i);
		if (!dir || chdir(dir) == 0)
			execvp(argv[0], argv);
		int e = errno;
		if (write(ep[1], &e, sizeof e) < 0)
			_exit(127);
		_exit(127);
	}
	close(ep[1]);
	int e = 0;
	ssize_t n;
	while ((n = read(ep[0], &e, sizeof e)) < 0 && errno == EINTR)
		;
	close(ep[0]);
	if (n == (ssize_t)sizeof e) {
		while (waitpid(p, NULL, 0) < 0 && errno == EINTR)
			;
		return e;
	}
	*pid = p;
	return 0;
}

int exec_tool(char *const argv[], struct buf *out, const char *logpath)
{
	return exec_tool_in(NULL, argv, out, logpath);
}

int exec_tool_in(const char *dir, char *const argv[], struct buf *out, const char *logpath)
{
	int pfd[2];
	if (pipe2(pfd, O_CLOEXEC) < 0)
		return -1;
	pid_t pid;
	int err = spawn_in(&pid, dir, argv, EXEC_NULL, pfd[1], pfd[1]);
	close(pfd[1]);
	if (err) {
		close(pfd[0]);
		errno = err;
		return -1;
	}
	struct buf local = {0};
	struct buf *o = out ? out : &local;
	size_t start = o->len;
	char chunk[8192];
	for (;;) {
		ssize_t n = read(pfd[0], chunk, sizeof chunk);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		buf_add(o, chunk, (size_t)n);
	}
	close(pfd[0]);
	int status;
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return -1;
	int rc = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
	if (logpath) {
		FILE *f = fopen(logpath, "ae");
		if (!f)
			warnx("cannot append to the log %s: %s (the output of %s is not kept)", logpath, strerror(errno),
			      argv[0]);
		if (f) {
			char *cl = exec_cmdline(argv), *in = dir ? shell_quote(dir) : NULL;
			fprintf(f, "$ %s%s%s\n%s", cl, in ? "    # in " : "", in ? in : "", o->data ? o->data + start : "");
			free(in);
			if (rc)
				fprintf(f, "[exit status %d]\n", rc);
			fclose(f);
			free(cl);
		}
	}
	buf_free(&local);
	return rc;
}
