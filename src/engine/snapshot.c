/* snapshot: the root as a tar.zst (libarchive's disk reader, pax with xattrs and ACLs, zstd)
 * and back (unpack_archive), and chown_tree. */
#include "engine/snapshot.h"

#include <archive.h>
#include <archive_entry.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lib/fileutil.h"
#include "lib/util.h"
#include "sources/unpack.h"

/* An entry's name for messages (a damaged archive may give none). */
static const char *entry_name(struct archive_entry *e)
{
	const char *n = archive_entry_pathname(e);
	return n && *n ? n : "(an entry without a name)";
}

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

/* The data of the regular file `e` (an entry of the disk reader below `dir`, open as `rootfd`),
 * read by lfsbuild itself: opened beneath the root with no symlink followed on the way
 * (libarchive's reader opens the file by its path without O_NOFOLLOW), and only if it is the inode
 * the entry describes. `rel` is the entry's name, "./usr/bin/x". */
static int copy_entry_data(int rootfd, const char *dir, const char *rel, struct archive_entry *e, struct archive *w,
                           const char *out, char *errbuf, size_t errlen)
{
	if (str_starts(rel, "./"))
		rel += 2;
	int fd = file_open_beneath(rootfd, dir, rel, errbuf, errlen);
	if (fd < 0)
		return -1;
	struct stat st;
	if (fstat(fd, &st) < 0 || (uint64_t)st.st_ino != (uint64_t)archive_entry_ino64(e) ||
	    st.st_dev != archive_entry_dev(e)) {
		close(fd);
		return set_error(errbuf, errlen, "%s/%s changed while the snapshot was taken", dir, rel);
	}
	char buf[1 << 16];
	la_int64_t left = archive_entry_size(e);
	int rc = 0;
	while (left > 0 && rc == 0) {
		ssize_t n = read(fd, buf, left < (la_int64_t)sizeof buf ? (size_t)left : sizeof buf);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			rc = set_error(errbuf, errlen, "%s/%s: %s", dir, rel, n < 0 ? strerror(errno) : "shorter than its size");
		else if (archive_write_data(w, buf, (size_t)n) < 0)
			rc = set_error(errbuf, errlen, "%s: %s", out, archive_error_string(w));
		else
			left -= n;
	}
	close(fd);
	return rc;
}

int snapshot_create(const char *dir, const char *out, char *errbuf, size_t errlen)
{
	char *tmp = xasprintf("%s.tmp.%ld", out, (long)getpid());
	struct archive *disk = archive_read_disk_new(), *w = archive_write_new();
	struct archive_entry_linkresolver *lr = archive_entry_linkresolver_new();
	int rc = -1;
	/* physical: a symlink is archived as a symlink and never descended nor read through (the
	 * default too; said here, as it is what makes the snapshot safe) */
	archive_read_disk_set_symlink_physical(disk);
	archive_read_disk_set_behavior(disk, ARCHIVE_READDISK_NO_TRAVERSE_MOUNTS);
	int rootfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	archive_write_add_filter_zstd(w);
	archive_write_set_format_pax(w);
	archive_entry_linkresolver_set_strategy(lr, archive_format(w));
	if (rootfd < 0) {
		set_error(errbuf, errlen, "cannot open %s: %s", dir, strerror(errno));
		goto out;
	}
	if (archive_write_open_filename(w, tmp) != ARCHIVE_OK) {
		set_error(errbuf, errlen, "cannot write %s: %s", tmp, archive_error_string(w));
		goto out;
	}
	if (archive_read_disk_open(disk, dir) != ARCHIVE_OK) {
		set_error(errbuf, errlen, "cannot read %s: %s", dir, archive_error_string(disk));
		goto out;
	}
	size_t dlen = strlen(dir);
	for (;;) {
		struct archive_entry *e = archive_entry_new();
		int r = archive_read_next_header2(disk, e);
		if (r == ARCHIVE_EOF) {
			archive_entry_free(e);
			break;
		}
		if (r < ARCHIVE_WARN) {
			set_error(errbuf, errlen, "%s: %s", dir, archive_error_string(disk));
			archive_entry_free(e);
			goto out;
		}
		archive_read_disk_descend(disk);
		const char *p = entry_name(e);
		char *rel = strncmp(p, dir, dlen) == 0 ? xasprintf(".%s", p + dlen) : xstrdup(p);
		archive_entry_set_pathname(e, rel);
		free(rel);
		struct archive_entry *sparse = NULL, *orig = e;
		archive_entry_linkify(lr, &e, &sparse);
		if (archive_write_header(w, e) < ARCHIVE_WARN) {
			set_error(errbuf, errlen, "%s: %s: %s", out, entry_name(e), archive_error_string(w));
			archive_entry_free(orig);
			goto out;
		}
		if (archive_entry_filetype(e) == AE_IFREG && archive_entry_size(e) > 0 &&
		    copy_entry_data(rootfd, dir, entry_name(e), e, w, out, errbuf, errlen) < 0) {
			if (e != orig)
				archive_entry_free(e);
			archive_entry_free(orig);
			goto out;
		}
		if (e != orig)
			archive_entry_free(e);
		archive_entry_free(orig);
	}
	if (archive_write_close(w) != ARCHIVE_OK) {
		set_error(errbuf, errlen, "%s: %s", out, archive_error_string(w));
		goto out;
	}
	if (rename(tmp, out) < 0) {
		set_error(errbuf, errlen, "cannot rename %s: %s", tmp, strerror(errno));
		goto out;
	}
	rc = 0;
out:
	if (rootfd >= 0)
		close(rootfd);
	archive_entry_linkresolver_free(lr);
	archive_read_free(disk);
	archive_write_free(w);
	if (rc < 0)
		unlink(tmp);
	free(tmp);
	return rc;
}

int snapshot_restore(const char *archive, const char *dir, char *errbuf, size_t errlen)
{
	if (remove_tree(dir) < 0)
		return set_error(errbuf, errlen, "cannot empty %s: %s", dir, strerror(errno));
	if (mkdir_p(dir, 0755) < 0)
		return set_error(errbuf, errlen, "cannot create %s: %s", dir, strerror(errno));
	return unpack_archive(archive, dir, true, errbuf, errlen);
}
