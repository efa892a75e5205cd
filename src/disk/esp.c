/* esp: ROOT/boot/efi staged for mtools without following a link (esp.h). */
#include "disk/esp.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lib/fileutil.h"

/* What a non-regular, non-directory entry is, for the refusal. */
static const char *kind(mode_t mode)
{
	if (S_ISCHR(mode))
		return "a character device";
	if (S_ISBLK(mode))
		return "a block device";
	if (S_ISFIFO(mode))
		return "a FIFO";
	if (S_ISSOCK(mode))
		return "a socket";
	return "not a regular file";
}

/* "image: SHOWN is a symlink (-> TARGET): WHY" for the entry `name` of the directory `dirfd`. */
static int refuse_link(int dirfd, const char *name, const char *shown, const char *why)
{
	char target[PATH_MAX];
	ssize_t n = readlinkat(dirfd, name, target, sizeof target - 1);
	target[n > 0 ? n : 0] = '\0';
	errno = ELOOP;
	return errorf("image: %s is a symlink (-> %s): %s", shown, n > 0 ? target : "?", why);
}

/* openat without following, and only if it is still the inode `st` describes. */
static int open_same(int dirfd, const char *name, int flags, const struct stat *st, const char *shown)
{
	int fd = openat(dirfd, name, flags | O_NOFOLLOW | O_NOCTTY | O_CLOEXEC);
	struct stat now;
	if (fd < 0)
		return errorf("image: cannot open %s:", shown);
	if (fstat(fd, &now) < 0 || now.st_dev != st->st_dev || now.st_ino != st->st_ino ||
	    (now.st_mode & S_IFMT) != (st->st_mode & S_IFMT)) {
		close(fd);
		errno = ESTALE;
		return errorf("image: %s changed while it was copied", shown);
	}
	return fd;
}

/* The regular file `name` of `from` (examined as `st`) into a new file of `to`. */
static int stage_file(int from, int to, const char *name, const struct stat *st, const char *shown)
{
	int in = open_same(from, name, O_RDONLY | O_NONBLOCK, st, shown);
	if (in < 0)
		return -1;
	int out = openat(to, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	int rc = 0;
	struct timespec times[2] = {st->st_atim, st->st_mtim};
	if (out < 0 || file_copy_sparse(in, out, 0) < 0 || ftruncate(out, st->st_size) < 0 ||
	    fchmod(out, st->st_mode & 0777) < 0 || futimens(out, times) < 0)
		rc = errorf("image: cannot copy %s into the staging directory:", shown);
	if (out >= 0)
		close(out);
	close(in);
	return rc;
}

static int stage_dir(int from, int to, const char *rel, struct strv *paths);

static int cmp_names(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* One entry of a directory: refused, staged as a file, or a directory walked. */
static int stage_entry(int from, int to, const char *rel, const char *name, struct strv *paths)
{
	char *sub = xasprintf("%s/%s", rel, name), *shown = xasprintf("/boot/efi%s", sub);
	struct stat st;
	int rc = 0;
	if (fstatat(from, name, &st, AT_SYMLINK_NOFOLLOW) < 0) {
		rc = errorf("image: cannot stat %s:", shown);
	} else if (S_ISLNK(st.st_mode)) {
		rc = refuse_link(from, name, shown, "FAT has no links");
	} else if (S_ISREG(st.st_mode)) {
		rc = stage_file(from, to, name, &st, shown);
	} else if (S_ISDIR(st.st_mode)) {
		int in = open_same(from, name, O_RDONLY | O_DIRECTORY, &st, shown), out = -1;
		if (in < 0 || mkdirat(to, name, 0700) < 0 ||
		    (out = openat(to, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)) < 0) {
			rc = in < 0 ? -1 : errorf("image: cannot stage the directory %s:", shown);
		} else {
			rc = stage_dir(in, out, sub, paths);
			struct timespec times[2] = {st.st_atim, st.st_mtim};
			if (rc == 0 && (fchmod(out, st.st_mode & 0777) < 0 || futimens(out, times) < 0))
				rc = errorf("image: cannot stage the directory %s:", shown);
		}
		if (in >= 0)
			close(in);
		if (out >= 0)
			close(out);
	} else {
		errno = EINVAL;
		rc = errorf("image: %s is %s: FAT holds only files and directories", shown, kind(st.st_mode));
	}
	if (rc == 0)
		strv_push(paths, S_ISDIR(st.st_mode) ? xasprintf("%s/", sub) : xstrdup(sub));
	free(sub);
	free(shown);
	return rc;
}

/* Each entry of the directory `from` (below /boot/efi at `rel`) into `to`, names sorted so that
 * the refusal and the staged tree do not depend on the order of readdir. */
static int stage_dir(int from, int to, const char *rel, struct strv *paths)
{
	int fd = dup(from);
	DIR *d = fd < 0 ? NULL : fdopendir(fd);
	if (!d) {
		if (fd >= 0)
			close(fd);
		return errorf("image: cannot read /boot/efi%s:", rel);
	}
	struct strv names = {0};
	for (struct dirent *e; (e = readdir(d));)
		if (strcmp(e->d_name, ".") && strcmp(e->d_name, ".."))
			strv_add(&names, e->d_name);
	closedir(d);
	if (names.n)
		qsort(names.v, names.n, sizeof *names.v, cmp_names);
	int rc = 0;
	for (size_t i = 0; i < names.n && rc == 0; i++)
		rc = stage_entry(from, to, rel, names.v[i], paths);
	strv_free(&names);
	return rc;
}

/* ROOT/NAME as a directory reached without a link: its fd, -2 if it does not exist, or -1
 * after saying why. */
static int open_mount_dir(int dirfd, const char *name, const char *shown)
{
	struct stat st;
	if (fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0) {
		if (errno == ENOENT)
			return -2;
		return errorf("image: cannot stat %s:", shown);
	}
	if (S_ISLNK(st.st_mode))
		return refuse_link(dirfd, name, shown, "the ESP is filled from the directory /boot/efi of the root, never through a link");
	if (!S_ISDIR(st.st_mode)) {
		errno = ENOTDIR;
		return errorf("image: %s is not a directory (the ESP's content goes there)", shown);
	}
	return open_same(dirfd, name, O_RDONLY | O_DIRECTORY, &st, shown);
}

int esp_stage(const char *root, const char *stage, struct strv *paths)
{
	int rootfd = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC); /* the user's own path: followed */
	if (rootfd < 0)
		return errorf("image: cannot open %s:", root);
	int boot = open_mount_dir(rootfd, "boot", "/boot");
	close(rootfd);
	if (boot < 0)
		return boot == -2 ? 0 : -1;
	int efi = open_mount_dir(boot, "efi", "/boot/efi");
	close(boot);
	if (efi < 0)
		return efi == -2 ? 0 : -1;
	int to = open(stage, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	int rc = to < 0 ? errorf("image: cannot open the staging directory %s:", stage) : stage_dir(efi, to, "", paths);
	if (to >= 0)
		close(to);
	close(efi);
	return rc;
}
