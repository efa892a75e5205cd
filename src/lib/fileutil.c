/* fileutil: copying a file without following a symlink, sparsely, into place by rename. */
#include "lib/fileutil.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lib/util.h"

/* "PATH is a symlink (-> TARGET): not copied"; errno ELOOP. */
static int refuse_symlink(const char *path, char *errbuf, size_t errlen)
{
	char target[PATH_MAX];
	ssize_t n = readlink(path, target, sizeof target - 1);
	target[n > 0 ? n : 0] = '\0';
	set_error(errbuf, errlen, "%s is a symlink (-> %s): not copied", path, n > 0 ? target : "?");
	errno = ELOOP;
	return -1;
}

static int refuse_irregular(const char *path, char *errbuf, size_t errlen)
{
	set_error(errbuf, errlen, "%s is not a regular file: not copied", path);
	errno = EINVAL;
	return -1;
}

int file_open_regular(const char *path, char *errbuf, size_t errlen)
{
	/* lstat first, so that a FIFO or a device is never opened (a FIFO would block, a device's
	 * open can act); then open without following and check that it is still a regular file. */
	struct stat st;
	if (lstat(path, &st) < 0) {
		int e = errno;
		set_error(errbuf, errlen, "cannot open %s: %s", path, strerror(e));
		errno = e;
		return -1;
	}
	if (S_ISLNK(st.st_mode))
		return refuse_symlink(path, errbuf, errlen);
	if (!S_ISREG(st.st_mode))
		return refuse_irregular(path, errbuf, errlen);
	int fd = open(path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
	if (fd < 0) {
		int e = errno;
		if (e == ELOOP)
			return refuse_symlink(path, errbuf, errlen); /* it became one since the lstat */
		set_error(errbuf, errlen, "cannot open %s: %s", path, strerror(e));
		errno = e;
		return -1;
	}
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		close(fd);
		return refuse_irregular(path, errbuf, errlen);
	}
	return fd;
}

/* One component of file_open_beneath: examined without following, then opened with O_NOFOLLOW
 * (a directory when `dir`, else a regular file, never a FIFO or a device) and checked to be the
 * inode examined. The fd, or -1 with errno. */
static int open_component(int at, const char *name, bool dir)
{
	struct stat st, now;
	if (!strcmp(name, ".."))
		return errno = EINVAL, -1;
	if (fstatat(at, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
		return -1;
	if (S_ISLNK(st.st_mode))
		return errno = ELOOP, -1;
	if (dir ? !S_ISDIR(st.st_mode) : !S_ISREG(st.st_mode))
		return errno = dir ? ENOTDIR : EINVAL, -1;
	int flags = dir ? O_RDONLY | O_DIRECTORY : O_RDONLY | O_NONBLOCK | O_NOCTTY;
	int fd = openat(at, name, flags | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return -1;
	if (fstat(fd, &now) < 0 || now.st_ino != st.st_ino || now.st_dev != st.st_dev ||
	    (now.st_mode & S_IFMT) != (st.st_mode & S_IFMT)) {
		close(fd);
		return errno = ESTALE, -1; /* it was replaced meanwhile */
	}
	return fd;
}

int file_open_beneath(int dirfd, const char *shown, const char *rel, char *errbuf, size_t errlen)
{
	char *copy = xstrdup(rel), *save = NULL;
	int at = dirfd, fd = -1, e = ENOENT; /* an empty path: ENOENT */
	char *name = strtok_r(copy, "/", &save);
	while (name) {
		char *next = strtok_r(NULL, "/", &save);
		int nfd = !strcmp(name, ".") && next ? dup(at) : open_component(at, name, next != NULL);
		e = errno;
		if (at != dirfd)
			close(at);
		at = dirfd;
		if (nfd < 0)
			break;
		if (next)
			at = nfd;
		else
			fd = nfd;
		name = next;
	}
	free(copy);
	if (fd >= 0)
		return fd;
	if (e == ELOOP)
		set_error(errbuf, errlen, "%s/%s: a symlink on the way or at the end: not followed", shown, rel);
	else if (e == EINVAL)
		set_error(errbuf, errlen, "%s/%s is not a regular file reached without '..': not opened", shown, rel);
	else
		set_error(errbuf, errlen, "cannot open %s/%s: %s", shown, rel, strerror(e));
	errno = e;
	return -1;
}

int dir_open_beneath(int dirfd, const char *rel)
{
	char *copy = xstrdup(rel), *save = NULL;
	int at = fcntl(dirfd, F_DUPFD_CLOEXEC, 3), e = 0;
	for (char *name = strtok_r(copy, "/", &save); name && at >= 0; name = strtok_r(NULL, "/", &save)) {
		if (!strcmp(name, "."))
			continue;
		int next = open_component(at, name, true);
		e = errno;
		close(at);
		at = next;
	}
	free(copy);
	if (at < 0 && e)
		errno = e;
	return at;
}

int file_open_dir_beneath(int dirfd, const char *rel, bool readable)
{
	int fd = fcntl(dirfd, F_DUPFD_CLOEXEC, 3);
	char *copy = xstrdup(rel), *save = NULL;
	for (char *c = strtok_r(copy, "/", &save); c && fd >= 0; c = strtok_r(NULL, "/", &save)) {
		if (!strcmp(c, "."))
			continue;
		int next = !strcmp(c, "..") ? (errno = EINVAL, -1)
		                            : openat(fd, c, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		int e = errno;
		close(fd);
		errno = e;
		fd = next;
	}
	free(copy);
	if (fd >= 0 && readable) {
		int r = openat(fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		int e = errno;
		close(fd);
		errno = e;
		fd = r;
	}
	return fd;
}

int file_open_parent_beneath(int dirfd, const char *rel, char **leaf)
{
	char *copy = xstrdup(rel), *slash = strrchr(copy, '/');
	*leaf = xstrdup(slash ? slash + 1 : copy);
	if (slash)
		*slash = '\0';
	int fd = file_open_dir_beneath(dirfd, slash ? copy : "", false);
	int e = errno;
	free(copy);
	errno = e;
	return fd;
}

/* Copy [off, off+len) of `in` to `out` at out_off+off. */
static int copy_range(int in, int out, off_t off, off_t len, uint64_t out_off)
{
	loff_t ip = off, op = (loff_t)(out_off + (uint64_t)off);
	while (len > 0) {
		ssize_t n = copy_file_range(in, &ip, out, &op, (size_t)(len > (1 << 30) ? (1 << 30) : len), 0);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EXDEV || errno == ENOSYS || errno == EINVAL || errno == EOPNOTSUPP))
			break; /* fall back to read/write for the rest */
		if (n < 0)
			return -1;
		if (n == 0) {
			errno = EIO;
			return -1;
		}
		len -= n;
	}
	if (len <= 0)
		return 0;
	enum { CHUNK = 1 << 20 };
	char *chunk = xmalloc(CHUNK);
	int rc = 0;
	while (len > 0 && rc == 0) {
		ssize_t n = pread(in, chunk, (size_t)(len > CHUNK ? CHUNK : len), ip);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			if (n == 0)
				errno = EIO;
			rc = -1;
			break;
		}
		for (ssize_t done = 0; done < n;) {
			ssize_t w = pwrite(out, chunk + done, (size_t)(n - done), op + done);
			if (w < 0 && errno == EINTR)
				continue;
			if (w < 0) {
				rc = -1;
				break;
			}
			done += w;
		}
		ip += n;
		op += n;
		len -= n;
	}
	int e = errno;
	free(chunk);
	errno = e;
	return rc;
}

int64_t file_copy_sparse(int in, int out, uint64_t out_off)
{
	struct stat st;
	if (fstat(in, &st) < 0)
		return -1;
	int64_t copied = 0;
	off_t pos = 0;
	while (pos < st.st_size) {
		off_t data = lseek(in, pos, SEEK_DATA);
		if (data < 0) {
			if (errno == ENXIO)
				break; /* only a hole is left */
			return -1;
		}
		off_t hole = lseek(in, data, SEEK_HOLE);
		if (hole < 0)
			return -1;
		if (copy_range(in, out, data, hole - data, out_off) < 0)
			return -1;
		copied += hole - data;
		pos = hole;
	}
	return copied;
}

int file_copy(const char *from, const char *to, mode_t mode, char *errbuf, size_t errlen)
{
	int in = file_open_regular(from, errbuf, errlen);
	if (in < 0)
		return -1;
	char *tmp = xasprintf("%s.tmp.XXXXXX", to);
	int out = mkostemp(tmp, O_CLOEXEC); /* O_CREAT | O_EXCL: never through a symlink */
	int rc = -1;
	bool made = out >= 0;
	struct stat st;
	if (!made) {
		set_error(errbuf, errlen, "cannot create a file beside %s: %s", to, strerror(errno));
		goto out;
	}
	if (fstat(in, &st) < 0 || file_copy_sparse(in, out, 0) < 0 || ftruncate(out, st.st_size) < 0 ||
	    fchmod(out, mode) < 0 || fsync(out) < 0) {
		set_error(errbuf, errlen, "cannot copy %s to %s: %s", from, tmp, strerror(errno));
		goto out;
	}
	int fd = out;
	out = -1;
	if (close(fd) < 0) {
		set_error(errbuf, errlen, "cannot write %s: %s", tmp, strerror(errno));
		goto out;
	}
	if (rename(tmp, to) < 0) { /* replaces a symlink at `to`, never writes through it */
		set_error(errbuf, errlen, "cannot rename %s to %s: %s", tmp, to, strerror(errno));
		goto out;
	}
	rc = 0;
out:
	if (out >= 0)
		close(out);
	if (rc < 0 && made)
		unlink(tmp);
	close(in);
	free(tmp);
	return rc;
}

int file_copy_into(const char *from, int out, uint64_t out_off, const char *out_name, char *errbuf, size_t errlen)
{
	int in = file_open_regular(from, errbuf, errlen);
	if (in < 0)
		return -1;
	int rc = 0;
	if (file_copy_sparse(in, out, out_off) < 0)
		rc = set_error(errbuf, errlen, "copying %s into %s at offset %llu: %s", from, out_name,
		               (unsigned long long)out_off, strerror(errno));
	close(in);
	return rc;
}
