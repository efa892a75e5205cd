/* unpack: libarchive extraction into a staging directory, top-directory discovery. Extraction runs with the process's cwd set to the target directory so
 * that libarchive's "no absolute paths, no .., no symlinks on the way" checks apply. */
#include "sources/unpack.h"

#include <archive.h>
#include <archive_entry.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lib/fileutil.h"
#include "lib/util.h"


/* An entry's name for messages (a damaged archive may give none). */
static const char *entry_name(struct archive_entry *e)
{
	const char *n = archive_entry_pathname(e);
	return n && *n ? n : "(an entry without a name)";
}

static int copy_data(struct archive *ar, struct archive *aw)
{
	for (;;) {
		const void *buff;
		size_t size;
		la_int64_t offset;
		int r = archive_read_data_block(ar, &buff, &size, &offset);
		if (r == ARCHIVE_EOF)
			return ARCHIVE_OK;
		if (r < ARCHIVE_WARN)
			return r;
		if (archive_write_data_block(aw, buff, size, offset) < ARCHIVE_WARN)
			return ARCHIVE_FATAL;
	}
}

/* Extract into `todir` (which exists). *not_archive is set when the file is no archive; *newest
 * (may be NULL) becomes the newest mtime of its members (seconds), or stays as it was without one. */
static int extract(const char *path, const char *todir, int flags, bool *not_archive, long long *newest, char *errbuf,
                   size_t errlen)
{
	if (not_archive)
		*not_archive = false;
	struct archive *a = archive_read_new(), *w = archive_write_disk_new();
	archive_read_support_filter_all(a);
	archive_read_support_format_all(a);
	archive_write_disk_set_options(w, flags);
	int rc = -1, cwd = -1;
	if (archive_read_open_filename(a, path, 1 << 16) != ARCHIVE_OK) {
		set_error(errbuf, errlen, "cannot open %s: %s", path, archive_error_string(a));
		goto out;
	}
	cwd = open(".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (cwd < 0 || chdir(todir) < 0) {
		set_error(errbuf, errlen, "cannot enter %s: %s", todir, strerror(errno));
		goto out;
	}
	for (size_t n = 0;; n++) {
		struct archive_entry *e;
		int r = archive_read_next_header(a, &e);
		if (r == ARCHIVE_EOF)
			break;
		if (r < ARCHIVE_WARN) {
			if (n == 0 && not_archive && archive_error_string(a) && strstr(archive_error_string(a), "Unrecognized archive format"))
				*not_archive = true;
			set_error(errbuf, errlen, "%s: %s", path, archive_error_string(a));
			goto out;
		}
		if (newest && archive_entry_mtime_is_set(e) && (long long)archive_entry_mtime(e) > *newest)
			*newest = (long long)archive_entry_mtime(e);
		r = archive_write_header(w, e);
		if (r < ARCHIVE_WARN) {
			set_error(errbuf, errlen, "%s: %s: %s", path, entry_name(e), archive_error_string(w));
			goto out;
		}
		if (archive_entry_size(e) > 0 && copy_data(a, w) < ARCHIVE_WARN) {
			set_error(errbuf, errlen, "%s: %s: %s", path, entry_name(e),
			     archive_error_string(a) ? archive_error_string(a) : archive_error_string(w));
			goto out;
		}
		if (archive_write_finish_entry(w) < ARCHIVE_WARN) {
			set_error(errbuf, errlen, "%s: %s: %s", path, entry_name(e), archive_error_string(w));
			goto out;
		}
	}
	if (archive_write_close(w) < ARCHIVE_WARN) {
		set_error(errbuf, errlen, "%s: %s", path, archive_error_string(w));
		goto out;
	}
	rc = 0;
out:
	if (cwd >= 0) {
		if (fchdir(cwd) < 0)
			die("cannot return to the working directory:");
		close(cwd);
	}
	archive_read_free(a);
	archive_write_free(w);
	return rc;
}

int unpack_source(const char *archive, const char *destdir, const char *name, char **top, long long *newest,
                  char *errbuf, size_t errlen)
{
	*top = NULL;
	*newest = -1;
	const char *base = strrchr(archive, '/') ? strrchr(archive, '/') + 1 : archive;
	if (str_ends(base, ".patch") || str_ends(base, ".diff")) {
		char *to = path_join(destdir, base);
		int r = file_copy(archive, to, 0644, errbuf, errlen);
		free(to);
		if (r == 0)
			*top = xstrdup(base);
		return r;
	}
	char *stage = xasprintf("%s/.unpack-%s", destdir, name);
	remove_tree(stage);
	if (mkdir(stage, 0755) < 0) {
		set_error(errbuf, errlen, "cannot create %s: %s", stage, strerror(errno));
		free(stage);
		return -1;
	}
	bool not_archive;
	int flags = ARCHIVE_EXTRACT_TIME | ARCHIVE_EXTRACT_PERM | ARCHIVE_EXTRACT_SECURE_NODOTDOT |
	            ARCHIVE_EXTRACT_SECURE_SYMLINKS | ARCHIVE_EXTRACT_SECURE_NOABSOLUTEPATHS;
	if (extract(archive, stage, flags, &not_archive, newest, errbuf, errlen) < 0) {
		remove_tree(stage);
		free(stage);
		*newest = -1;
		if (!not_archive)
			return -1;
		char *to = path_join(destdir, base);
		int r = file_copy(archive, to, 0644, errbuf, errlen);
		free(to);
		if (r == 0)
			*top = xstrdup(base);
		return r;
	}
	/* One top directory: move it up; several entries: the staging directory becomes `name`. */
	DIR *d = opendir(stage);
	char *only = NULL;
	int count = 0;
	struct dirent *e;
	while (d && (e = readdir(d))) {
		if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
			continue;
		if (count++ == 0)
			only = xstrdup(e->d_name);
	}
	if (d)
		closedir(d);
	int rc = 0;
	char *from = only ? path_join(stage, only) : NULL;
	char *to = only ? path_join(destdir, only) : NULL;
	struct stat st;
	/* lstat: a lone top entry that is a symlink (pkg -> /etc) is no top directory */
	if (count == 1 && lstat(from, &st) == 0 && S_ISDIR(st.st_mode) && !path_exists(to)) {
		if (rename(from, to) < 0 || rmdir(stage) < 0)
			rc = set_error(errbuf, errlen, "cannot move %s to %s: %s", from, to, strerror(errno));
		else
			*top = xstrdup(only);
	} else {
		char *dst = path_join(destdir, name);
		if (path_exists(dst) || rename(stage, dst) < 0)
			rc = set_error(errbuf, errlen, "cannot move %s to %s: %s", stage, dst,
			          path_exists(dst) ? "it exists (two sources with the same name?)" : strerror(errno));
		else
			*top = xstrdup(name);
		free(dst);
	}
	free(from);
	free(to);
	free(only);
	free(stage);
	return rc;
}

int unpack_archive(const char *archive, const char *dir, bool as_is, char *errbuf, size_t errlen)
{
	int flags = ARCHIVE_EXTRACT_TIME | ARCHIVE_EXTRACT_PERM | ARCHIVE_EXTRACT_SECURE_NODOTDOT |
	            ARCHIVE_EXTRACT_SECURE_SYMLINKS | ARCHIVE_EXTRACT_SECURE_NOABSOLUTEPATHS;
	if (as_is)
		flags |= ARCHIVE_EXTRACT_OWNER | ARCHIVE_EXTRACT_XATTR | ARCHIVE_EXTRACT_ACL | ARCHIVE_EXTRACT_FFLAGS;
	return extract(archive, dir, flags, NULL, NULL, errbuf, errlen);
}

long long unpack_newest_mtime(const char *archive)
{
	struct archive *a = archive_read_new();
	archive_read_support_filter_all(a);
	archive_read_support_format_all(a);
	long long newest = -1;
	struct archive_entry *e;
	if (archive_read_open_filename(a, archive, 1 << 16) == ARCHIVE_OK) {
		int r;
		while ((r = archive_read_next_header(a, &e)) == ARCHIVE_OK || r == ARCHIVE_WARN) {
			if (archive_entry_mtime_is_set(e) && (long long)archive_entry_mtime(e) > newest)
				newest = (long long)archive_entry_mtime(e);
			if (archive_read_data_skip(a) < ARCHIVE_WARN) {
				newest = -1;
				break;
			}
		}
		if (r != ARCHIVE_EOF && r != ARCHIVE_OK && r != ARCHIVE_WARN)
			newest = -1;
	}
	archive_read_free(a);
	return newest;
}

char *unpack_peek_top(const char *archive)
{
	struct archive *a = archive_read_new();
	archive_read_support_filter_all(a);
	archive_read_support_format_all(a);
	char *top = NULL;
	struct archive_entry *e;
	if (archive_read_open_filename(a, archive, 1 << 16) == ARCHIVE_OK &&
	    archive_read_next_header(a, &e) == ARCHIVE_OK) {
		const char *p = entry_name(e);
		while (str_starts(p, "./"))
			p += 2;
		size_t n = strcspn(p, "/");
		if (n)
			top = xstrndup(p, n);
	}
	archive_read_free(a);
	return top;
}
