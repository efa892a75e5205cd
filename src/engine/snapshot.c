/* snapshot: the root as a tar.zst (tree_pack: libarchive's disk reader, pax with xattrs and ACLs,
 * zstd) and back (unpack_archive), and chown_tree. */
#include "engine/snapshot.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lib/util.h"
#include "packages/tree.h"
#include "sources/unpack.h"

/* chown_tree below the directory `dirfd`: the entry `name`, examined without following. */
static int chown_at(int dirfd, const char *name, dev_t dev, uid_t uid, gid_t gid)
{
	struct stat st;
	if (fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
		return errno == ENOENT ? 0 : -1;
	if (st.st_dev != dev)
		return 0; /* another file system mounted here: not ours to give */
	if (!S_ISDIR(st.st_mode)) {
		/* AT_SYMLINK_NOFOLLOW: a symlink (even one that replaced the entry since) is given itself */
		if ((st.st_uid != uid || st.st_gid != gid) && fchownat(dirfd, name, uid, gid, AT_SYMLINK_NOFOLLOW) < 0)
			return errno == ENOENT ? 0 : -1;
		return 0;
	}
	int fd = openat(dirfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	struct stat now;
	if (fd < 0 || fstat(fd, &now) < 0 || now.st_ino != st.st_ino || now.st_dev != st.st_dev) {
		int e = fd < 0 ? errno : ESTALE; /* replaced since (ELOOP: by a symlink) */
		if (fd >= 0)
			close(fd);
		errno = e;
		return -1;
	}
	if ((now.st_uid != uid || now.st_gid != gid) && fchown(fd, uid, gid) < 0) {
		close(fd);
		return -1;
	}
	DIR *d = fdopendir(fd);
	if (!d) {
		close(fd);
		return -1;
	}
	int r = 0;
	for (struct dirent *e; r == 0 && (e = readdir(d));)
		if (strcmp(e->d_name, ".") && strcmp(e->d_name, ".."))
			r = chown_at(fd, e->d_name, dev, uid, gid);
	int e = errno;
	closedir(d);
	errno = e;
	return r;
}

int chown_tree(const char *path, uid_t uid, gid_t gid)
{
	struct stat st;
	if (lstat(path, &st) < 0)
		return -1;
	return chown_at(AT_FDCWD, path, st.st_dev, uid, gid);
}

static char *origin_path(const char *archive)
{
	return xasprintf("%s.origin", archive);
}

int snapshot_create(const char *dir, const char *out, char *errbuf, size_t errlen)
{
	struct tree_pack o = {.dot_names = true};
	char *opath = origin_path(out);
	/* the old record goes first: a kill between the archive and its record leaves none (origin
	 * unknown), never the record of another root beside the new archive */
	if (unlink(opath) < 0 && errno != ENOENT) {
		set_error(errbuf, errlen, "cannot remove %s: %s", opath, strerror(errno));
		free(opath);
		return -1;
	}
	int r = tree_pack(dir, out, &o, errbuf, errlen);
	if (r == 0) {
		char *text = xasprintf("root %s\n", dir);
		if (write_file_atomic(opath, text, strlen(text), 0644) < 0)
			r = set_error(errbuf, errlen, "%s written, but not %s: %s", out, opath, strerror(errno));
		free(text);
	}
	free(opath);
	return r;
}

char *snapshot_origin(const char *archive)
{
	char *opath = origin_path(archive);
	char *text = read_file(opath, NULL); /* missing or unreadable: origin unknown */
	free(opath);
	if (!text)
		return NULL;
	char *root = NULL;
	size_t n = strcspn(text, "\n");
	if (strncmp(text, "root ", 5) == 0 && n > 5)
		root = xstrndup(text + 5, n - 5);
	free(text);
	return root;
}

int snapshot_restore(const char *archive, const char *dir, char *errbuf, size_t errlen)
{
	if (remove_tree(dir) < 0)
		return set_error(errbuf, errlen, "cannot empty %s: %s", dir, strerror(errno));
	if (mkdir_p(dir, 0755) < 0)
		return set_error(errbuf, errlen, "cannot create %s: %s", dir, strerror(errno));
	return unpack_archive(archive, dir, true, errbuf, errlen);
}
