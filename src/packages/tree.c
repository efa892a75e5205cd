/* tree: a directory tree as a pax tar.zst (libarchive's disk reader, lfsbuild reading the data). */
#include "packages/tree.h"

#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lib/fileutil.h"
#include "lib/util.h"
#include "packages/zstream.h"

#define OVL_XATTR "trusted.overlay."

/* An entry's name for messages (a damaged archive may give none). */
static const char *entry_name(struct archive_entry *e)
{
	const char *n = archive_entry_pathname(e);
	return n && *n ? n : "(an entry without a name)";
}

/* The data of the regular file `e` (an entry of the disk reader below `dir`, open as `rootfd`),
 * read by lfsbuild itself: opened beneath the root with no symlink followed on the way
 * (libarchive's reader opens the file by its path without O_NOFOLLOW), and only if it is the inode
 * the entry describes. `rel` is the entry's name, "./usr/bin/x" or "usr/bin/x". */
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
		return set_error(errbuf, errlen, "%s/%s changed while it was archived", dir, rel);
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

/* The entry's xattrs without the overlay's own (trusted.overlay.*). */
static void drop_overlay_xattrs(struct archive_entry *e)
{
	if (archive_entry_xattr_reset(e) == 0)
		return;
	struct strv names = {0};
	struct buf values = {0};
	size_t *lens = NULL, n = 0;
	const char *name;
	const void *value;
	size_t size;
	bool any = false;
	while (archive_entry_xattr_next(e, &name, &value, &size) == ARCHIVE_OK) {
		if (str_starts(name, OVL_XATTR)) {
			any = true;
			continue;
		}
		strv_add(&names, name);
		lens = xrealloc(lens, (n + 1) * sizeof *lens);
		lens[n++] = size;
		buf_add(&values, value, size);
	}
	if (any) {
		archive_entry_xattr_clear(e);
		size_t off = 0;
		for (size_t k = 0; k < n; k++) {
			archive_entry_xattr_add_entry(e, names.v[k], values.data + off, lens[k]);
			off += lens[k];
		}
	}
	strv_free(&names);
	buf_free(&values);
	free(lens);
}

static int write_members(struct archive *w, const struct tree_pack *o, const char *out, char *errbuf, size_t errlen)
{
	for (size_t k = 0; k < o->nmembers; k++) {
		struct archive_entry *e = archive_entry_new();
		archive_entry_set_pathname(e, o->members[k].name);
		archive_entry_set_filetype(e, AE_IFREG);
		archive_entry_set_perm(e, 0644);
		archive_entry_set_size(e, (la_int64_t)o->members[k].len);
		archive_entry_set_mtime(e, 0, 0);
		int r = archive_write_header(w, e);
		archive_entry_free(e);
		if (r < ARCHIVE_WARN ||
		    (o->members[k].len && archive_write_data(w, o->members[k].data, o->members[k].len) < 0))
			return set_error(errbuf, errlen, "%s: %s: %s", out, o->members[k].name, archive_error_string(w));
	}
	return 0;
}

/* Is `e` left out of the archive? The top directory without dot_names, sockets, and in an
 * overlay's upper tree its whiteouts. */
static bool left_out(struct archive_entry *e, bool top, const struct tree_pack *o)
{
	mode_t t = archive_entry_filetype(e);
	return (top && !o->dot_names) || t == AE_IFSOCK || (o->overlay && t == AE_IFCHR && archive_entry_rdev(e) == 0);
}

/* One entry of the disk reader: renamed relative to the tree, written with its data. */
static int write_entry(struct archive *w, struct archive_entry_linkresolver *lr, struct archive_entry *e, int rootfd,
                       const char *dir, const char *out, char *errbuf, size_t errlen)
{
	struct archive_entry *sparse = NULL, *orig = e;
	archive_entry_linkify(lr, &e, &sparse);
	int rc = 0;
	if (e && archive_write_header(w, e) < ARCHIVE_WARN)
		rc = set_error(errbuf, errlen, "%s: %s: %s", out, entry_name(e), archive_error_string(w));
	else if (e && archive_entry_filetype(e) == AE_IFREG && archive_entry_size(e) > 0)
		rc = copy_entry_data(rootfd, dir, entry_name(e), e, w, out, errbuf, errlen);
	if (e && e != orig)
		archive_entry_free(e);
	archive_entry_free(orig);
	return rc;
}

/* The entries of the disk reader over `dir` into w. */
static int write_tree(struct archive *w, struct archive *disk, int rootfd, const char *dir, const struct tree_pack *o,
                      const char *out, char *errbuf, size_t errlen)
{
	struct archive_entry_linkresolver *lr = archive_entry_linkresolver_new();
	archive_entry_linkresolver_set_strategy(lr, archive_format(w));
	size_t dlen = strlen(dir);
	int rc = 0;
	while (rc == 0) {
		struct archive_entry *e = archive_entry_new();
		int r = archive_read_next_header2(disk, e);
		if (r == ARCHIVE_EOF) {
			archive_entry_free(e);
			break;
		}
		if (r < ARCHIVE_WARN) {
			rc = set_error(errbuf, errlen, "%s: %s", dir, archive_error_string(disk));
			archive_entry_free(e);
			break;
		}
		archive_read_disk_descend(disk);
		const char *p = entry_name(e);
		const char *rest = strncmp(p, dir, dlen) == 0 ? p + dlen : p;
		if (left_out(e, !*rest, o)) {
			archive_entry_free(e);
			continue;
		}
		char *rel = o->dot_names ? xasprintf(".%s", rest) : xstrdup(rest + (*rest == '/'));
		archive_entry_set_pathname(e, rel);
		free(rel);
		if (o->overlay)
			drop_overlay_xattrs(e);
		rc = write_entry(w, lr, e, rootfd, dir, out, errbuf, errlen);
	}
	archive_entry_linkresolver_free(lr);
	return rc;
}

/* fsync the directory of `path`. */
static void sync_dir_of(const char *path)
{
	char *dir = xstrdup(path), *slash = strrchr(dir, '/');
	if (slash)
		*slash = '\0';
	int fd = open(slash ? dir : ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd >= 0) {
		fsync(fd);
		close(fd);
	}
	free(dir);
}

int tree_pack(const char *dir, const char *out, const struct tree_pack *o, char *errbuf, size_t errlen)
{
	char *part = xasprintf("%s.part", out);
	struct archive *disk = archive_read_disk_new(), *w = archive_write_new();
	int rc = -1, fd = -1;
	/* physical: a symlink is archived as a symlink and never descended nor read through (the
	 * default too; said here, as it is what makes the archive safe) */
	archive_read_disk_set_symlink_physical(disk);
	archive_read_disk_set_behavior(disk, ARCHIVE_READDISK_NO_TRAVERSE_MOUNTS);
	int rootfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	archive_write_set_format_pax(w);
	if (rootfd < 0) {
		set_error(errbuf, errlen, "cannot open %s: %s", dir, strerror(errno));
		goto out;
	}
	fd = open(part, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0644);
	if (fd < 0 || zstream_open_write(w, fd, 3) != ARCHIVE_OK) {
		set_error(errbuf, errlen, "cannot write %s: %s", part, fd < 0 ? strerror(errno) : archive_error_string(w));
		goto out;
	}
	if (archive_read_disk_open(disk, dir) != ARCHIVE_OK) {
		set_error(errbuf, errlen, "cannot read %s: %s", dir, archive_error_string(disk));
		goto out;
	}
	if (write_members(w, o, out, errbuf, errlen) < 0 || write_tree(w, disk, rootfd, dir, o, out, errbuf, errlen) < 0)
		goto out;
	if (archive_write_close(w) != ARCHIVE_OK) {
		set_error(errbuf, errlen, "%s: %s", out, archive_error_string(w));
		goto out;
	}
	if (fsync(fd) < 0 || rename(part, out) < 0) {
		set_error(errbuf, errlen, "cannot write %s: %s", out, strerror(errno));
		goto out;
	}
	sync_dir_of(out);
	rc = 0;
out:
	if (rootfd >= 0)
		close(rootfd);
	archive_read_free(disk);
	archive_write_free(w);
	if (fd >= 0)
		close(fd);
	if (rc < 0)
		unlink(part);
	free(part);
	return rc;
}
