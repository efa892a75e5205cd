/* exec: run external tools with their command line logged and their output captured. */
#include "exec.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

char *exec_cmdline(char *const argv[])
{
	struct buf b = {0};
	for (size_t i = 0; argv[i]; i++) {
		const char *a = argv[i];
		if (i)
			buf_puts(&b, " ");
		if (*a && strspn(a, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_=+/.,:@%") == strlen(a)) {
			buf_puts(&b, a);
			continue;
		}
		buf_puts(&b, "'");
		for (; *a; a++) {
			if (*a == '\'')
				buf_puts(&b, "'\\''");
			else
				buf_add(&b, a, 1);
		}
		buf_puts(&b, "'");
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

int exec_tool(char *const argv[], struct buf *out, const char *logpath)
{
	int pfd[2];
	if (pipe2(pfd, O_CLOEXEC) < 0)
		return -1;
	posix_spawn_file_actions_t fa;
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
	posix_spawn_file_actions_adddup2(&fa, pfd[1], 1);
	posix_spawn_file_actions_adddup2(&fa, pfd[1], 2);
	pid_t pid;
	int err = posix_spawnp(&pid, argv[0], &fa, NULL, argv, environ);
	posix_spawn_file_actions_destroy(&fa);
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
		if (f) {
			char *cl = exec_cmdline(argv);
			fprintf(f, "$ %s\n%s", cl, o->data ? o->data + start : "");
			if (rc)
				fprintf(f, "[exit status %d]\n", rc);
			fclose(f);
			free(cl);
		}
	}
	buf_free(&local);
	return rc;
}
