/* bincache: looking package archives up by input hash (local directories, then a URL), checking
 * and unpacking them, setting bad ones aside; adding new ones whole. */
#include "packages/bincache.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lib/fileutil.h"
#include "packages/package.h"
#include "sources/fetch.h"

/* Remove everything in the directory `dir` (the capture's upper tree after a failed unpack),
 * keeping the directory itself with its owner and mode. */
static int empty_dir(const char *dir)
{
	DIR *d = opendir(dir);
	if (!d)
		return -1;
	int rc = 0;
	struct dirent *e;
	while ((e = readdir(d))) {
		if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
			continue;
		char *p = path_join(dir, e->d_name);
		if (remove_tree(p) < 0)
			rc = -1;
		free(p);
	}
	closedir(d);
	return rc;
}

/* Move `path` (named `name`) to DIR/bad/NAME, or NAME.1, NAME.2 ... when that is taken. The new
 * path (malloc'd), or NULL (errno). */
static char *set_aside(const char *dir, const char *path, const char *name)
{
	char *bad = path_join(dir, "bad");
	if (mkdir_p(bad, 0755) < 0) {
		free(bad);
		return NULL;
	}
	char *to = NULL;
	for (int k = 0; k < 1000; k++) {
		to = k ? xasprintf("%s/%s.%d", bad, name, k) : path_join(bad, name);
		if (renameat2(AT_FDCWD, path, AT_FDCWD, to, RENAME_NOREPLACE) == 0)
			break;
		int e = errno;
		free(to);
		to = NULL;
		errno = e;
		if (e != EEXIST)
			break;
	}
	free(bad);
	return to;
}

/* Unpack the archive open as `fd`; on a failed check: the note, `path` set aside, upper emptied. */
static int try_unpack(int fd, const char *path, const char *place, const char *name, const struct package_id *id,
                      const char *upper, struct strv *notes)
{
	char err[2048];
	int r = package_unpack(fd, path, id, upper, err, sizeof err);
	if (r == 0)
		return 1;
	if (r == -2) {
		/* sound, and kept: it serves a build at its own place */
		strv_push(notes, xasprintf("%s: not from the cache: %s (a step run on the host writes its root's path "
		                           "into what it builds); the step is built instead", id->step, err));
		return 0;
	}
	char *to = set_aside(place, path, name);
	strv_push(notes, xasprintf("%s: the cached archive failed its check: %s; %s%s; the step is built instead", id->step,
	                           err, to ? "moved to " : "it could not be moved aside: ", to ? to : strerror(errno)));
	free(to);
	if (empty_dir(upper) < 0)
		strv_push(notes, xasprintf("%s: cannot empty %s: %s", id->step, upper, strerror(errno)));
	return 0;
}

/* PLACE/NAME, if it is there. */
static int from_dir(const char *place, const char *name, const struct package_id *id, const char *upper,
                    char **used, struct strv *notes)
{
	char *path = path_join(place, name);
	int fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC), rc = 0;
	struct stat st;
	if (fd < 0 && errno != ENOENT)
		strv_push(notes, xasprintf("%s: cannot open the cached archive %s: %s", id->step, path, strerror(errno)));
	else if (fd >= 0 && (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)))
		strv_push(notes, xasprintf("%s: the cached archive %s is not a regular file: not used", id->step, path));
	else if (fd >= 0)
		rc = try_unpack(fd, path, place, name, id, upper, notes);
	if (fd >= 0)
		close(fd);
	if (rc == 1)
		*used = path;
	else
		free(path);
	return rc;
}

/* URL/NAME downloaded into DIR/NAME.PID.part, unpacked, kept as DIR/NAME. */
static int from_url(const struct bincache *c, const char *name, const struct package_id *id, const char *upper,
                    char **used, struct strv *notes, bool *url_dead)
{
	size_t n = strlen(c->url);
	while (n && c->url[n - 1] == '/')
		n--;
	char *url = xasprintf("%.*s/%s", (int)n, c->url, name);
	char *part = xasprintf("%s/%s.%ld.part", c->dir, name, (long)getpid()), *path = path_join(c->dir, name);
	int rc = 0, fd = -1;
	struct buf why = {0};
	if (mkdir_p(c->dir, 0755) < 0 || (fd = open(part, O_RDWR | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0644)) < 0) {
		strv_push(notes, xasprintf("%s: cannot write %s: %s", id->step, part, strerror(errno)));
		goto out;
	}
	int got = fetch_url(url, fd, &why);
	if (got == 1)
		goto out; /* not there: a miss */
	if (got < 0) {
		*url_dead = got == -2;
		strv_push(notes, xasprintf("%s: cannot download %s: %s%s", id->step, url, why.data ? why.data : "?",
		                           *url_dead ? " (the cache URL is not asked again in this build)" : ""));
		goto out;
	}
	if (fsync(fd) < 0) {
		strv_push(notes, xasprintf("%s: cannot write %s: %s", id->step, part, strerror(errno)));
		goto out;
	}
	rc = try_unpack(fd, part, c->dir, name, id, upper, notes);
	/* kept whole under its name (a link: another process may have put it there meanwhile) */
	if (rc == 1 && link(part, path) < 0 && errno != EEXIST)
		strv_push(notes, xasprintf("%s: cannot keep %s as %s: %s", id->step, url, path, strerror(errno)));
	if (rc == 1)
		*used = xstrdup(path);
out:
	if (fd >= 0)
		close(fd);
	unlink(part); /* gone, set aside or linked */
	free(url);
	free(part);
	free(path);
	buf_free(&why);
	return rc;
}

int bincache_restore(const struct bincache *c, const struct package_id *id, const char *upper, char **used,
                     struct strv *notes, bool *url_dead)
{
	char *name = package_file_name(id);
	*used = NULL;
	int rc = from_dir(c->own, name, id, upper, used, notes);
	if (rc == 0 && c->dir && strcmp(c->dir, c->own))
		rc = from_dir(c->dir, name, id, upper, used, notes);
	if (rc == 0 && c->url && !c->url_dead)
		rc = from_url(c, name, id, upper, used, notes, url_dead);
	free(name);
	return rc;
}

int bincache_store(const char *dir, const char *path, char *errbuf, size_t errlen)
{
	const char *name = strrchr(path, '/') ? strrchr(path, '/') + 1 : path;
	char *to = path_join(dir, name);
	int rc = 0;
	if (mkdir_p(dir, 0755) < 0)
		rc = set_error(errbuf, errlen, "cannot create %s: %s", dir, strerror(errno));
	else if (path_exists(to) || link(path, to) == 0 || errno == EEXIST)
		rc = 0;
	else {
		char *part = xasprintf("%s.%ld.part", to, (long)getpid());
		int fd = open(part, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0644);
		if (fd < 0)
			rc = set_error(errbuf, errlen, "cannot write %s: %s", part, strerror(errno));
		else if (file_copy_into(path, fd, 0, part, errbuf, errlen) < 0)
			rc = -1;
		else if (fsync(fd) < 0 || rename(part, to) < 0)
			rc = set_error(errbuf, errlen, "cannot write %s: %s", to, strerror(errno));
		if (fd >= 0)
			close(fd);
		if (rc < 0)
			unlink(part);
		free(part);
	}
	free(to);
	return rc;
}

/* "NAME.PID.part": the PID, else 0. */
static long part_pid(const char *name)
{
	size_t n = strlen(name);
	if (n < 6 || strcmp(name + n - 5, ".part"))
		return 0;
	const char *end = name + n - 5, *dot = end;
	while (dot > name && dot[-1] >= '0' && dot[-1] <= '9')
		dot--;
	if (dot == end || dot == name || dot[-1] != '.')
		return 0;
	return strtol(dot, NULL, 10);
}

void bincache_sweep(const char *dir, bool all_parts)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	while (d && (e = readdir(d))) {
		long pid = part_pid(e->d_name);
		bool stale = pid > 0 ? kill((pid_t)pid, 0) < 0 && errno == ESRCH
		                     : all_parts && str_ends(e->d_name, ".tar.zst.part");
		if (stale)
			unlinkat(dirfd(d), e->d_name, 0);
	}
	if (d)
		closedir(d);
}
