/* snapshot: the root as a tar.zst (libarchive's disk reader, pax with xattrs and ACLs, zstd)
 * and back (unpack_archive), and chown_tree. */
#include "engine/snapshot.h"

#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lib/util.h"
#include "sources/unpack.h"

/* An entry's name for messages (a damaged archive may give none). */
static const char *entry_name(struct archive_entry *e)
{
	const char *n = archive_entry_pathname(e);
	return n && *n ? n : "(an entry without a name)";
}

static uid_t ct_uid;
static gid_t ct_gid;

static int chown_one(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
	(void)type;
	(void)ftw;
	if (st->st_uid == ct_uid && st->st_gid == ct_gid)
		return 0;
	return lchown(path, ct_uid, ct_gid) < 0 ? -1 : 0;
}

int chown_tree(const char *path, uid_t uid, gid_t gid)
{
	ct_uid = uid;
	ct_gid = gid;
	return nftw(path, chown_one, 32, FTW_PHYS | FTW_MOUNT);
}

int snapshot_create(const char *dir, const char *out, char *errbuf, size_t errlen)
{
	char *tmp = xasprintf("%s.tmp.%ld", out, (long)getpid());
	struct archive *disk = archive_read_disk_new(), *w = archive_write_new();
	struct archive_entry_linkresolver *lr = archive_entry_linkresolver_new();
	int rc = -1;
	archive_read_disk_set_behavior(disk, ARCHIVE_READDISK_NO_TRAVERSE_MOUNTS);
	archive_write_add_filter_zstd(w);
	archive_write_set_format_pax(w);
	archive_entry_linkresolver_set_strategy(lr, archive_format(w));
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
		if (archive_entry_filetype(e) == AE_IFREG && archive_entry_size(e) > 0) {
			char buf[1 << 16];
			la_ssize_t n;
			while ((n = archive_read_data(disk, buf, sizeof buf)) > 0)
				if (archive_write_data(w, buf, (size_t)n) < 0) {
					set_error(errbuf, errlen, "%s: %s", out, archive_error_string(w));
					archive_entry_free(orig);
					goto out;
				}
			if (n < 0) {
				set_error(errbuf, errlen, "%s: %s", entry_name(e), archive_error_string(disk));
				archive_entry_free(orig);
				goto out;
			}
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
