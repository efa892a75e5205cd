/* package: a step's package archive, written (package_pack) and checked while it is extracted
 * into a capture's upper tree (package_unpack). */
#include "packages/package.h"

#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "book/recipe.h"
#include "lib/fileutil.h"
#include "lib/util.h"
#include "packages/filelist.h"
#include "packages/tree.h"
#include "packages/zstream.h"
#include "sources/digest.h"

#define INFO_MAX (64 << 10)
#define FILES_MAX (1 << 30)

char *package_file_name(const struct package_id *id)
{
	char *flat = step_flat_id(id->step), *v = xstrdup(id->version);
	for (char *p = v; *p; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') || strchr("._+~", *p)))
			*p = '_';
	char *name = xasprintf("%s-%s-%.12s.tar.zst", flat, v, id->hash);
	free(flat);
	free(v);
	return name;
}

static void sha256_of(const void *data, size_t len, char hex[65])
{
	struct digest d;
	hex[0] = '\0';
	if (digest_init(&d, true, false) == 0) {
		digest_update(&d, data, len);
		digest_final(&d, hex, NULL);
	}
}

int package_pack(const char *upper, const char *list, const struct package_id *id, const char *out, char *errbuf,
                 size_t errlen)
{
	char sum[65];
	sha256_of(list, strlen(list), sum);
	char *info = xasprintf("format 1\nstep %s\nversion %s\nhash %s\nfiles-sha256 %s\n%s%s%s", id->step, id->version,
	                       id->hash, sum, id->root ? "root " : "", id->root ? id->root : "", id->root ? "\n" : "");
	struct tree_member m[] = {{PACKAGE_INFO, info, strlen(info)}, {PACKAGE_FILES, list, strlen(list)}};
	struct tree_pack o = {.overlay = true, .members = m, .nmembers = ARRAY_LEN(m)};
	int rc = tree_pack(upper, out, &o, errbuf, errlen);
	free(info);
	return rc;
}

/* ---- unpacking ---- */

struct unpack {
	struct archive *a, *w;
	const char *shown;
	char *info, *files;
	struct filelist fl;
	char *errbuf;
	size_t errlen;
};

/* libarchive's error message, never NULL. */
static const char *aerr(struct archive *a)
{
	const char *s = archive_error_string(a);
	return s && *s ? s : "an error libarchive does not name";
}

/* The next member, which must be the regular file `name` of at most `max` bytes, into *text. */
static int read_member(struct unpack *u, const char *name, size_t max, char **text)
{
	struct archive_entry *e;
	int r = archive_read_next_header(u->a, &e);
	if (r != ARCHIVE_OK)
		return set_error(u->errbuf, u->errlen, "%s: cannot read its member %s: %s", u->shown, name,
		                 r == ARCHIVE_EOF ? "the archive ends before it" : aerr(u->a));
	const char *p = archive_entry_pathname(e);
	la_int64_t size = archive_entry_size(e);
	if (!p || strcmp(p, name) || archive_entry_filetype(e) != AE_IFREG || size < 0 || (size_t)size > max)
		return set_error(u->errbuf, u->errlen, "%s: its member %s is not where it belongs (found %s)", u->shown, name,
		                 p ? p : "an entry without a name");
	*text = xmalloc((size_t)size + 1);
	la_ssize_t n = size ? archive_read_data(u->a, *text, (size_t)size) : 0;
	if (n != size)
		return set_error(u->errbuf, u->errlen, "%s: cannot read its member %s: %s", u->shown, name,
		                 n < 0 ? aerr(u->a) : "shorter than its size");
	(*text)[size] = '\0';
	return 0;
}

/* The value of `key` in the info text ("key value" lines) copied into `out`, or "". */
static const char *info_value(const char *info, const char *key, char *out, size_t outlen)
{
	size_t n = strlen(key);
	out[0] = '\0';
	for (const char *l = info; l && *l; l = strchr(l, '\n'), l = l ? l + 1 : NULL)
		if (!strncmp(l, key, n) && l[n] == ' ') {
			size_t len = strcspn(l + n + 1, "\n");
			snprintf(out, outlen, "%.*s", (int)len, l + n + 1);
			break;
		}
	return out;
}

/* The two members: the info names `want`, the list has the sha256 it says and parses. */
static int read_head(struct unpack *u, const struct package_id *want)
{
	if (read_member(u, PACKAGE_INFO, INFO_MAX, &u->info) < 0 || read_member(u, PACKAGE_FILES, FILES_MAX, &u->files) < 0)
		return -1;
	const char *keys[] = {"format", "step", "version", "hash"};
	const char *wants[] = {"1", want->step, want->version, want->hash};
	char v[512];
	for (size_t k = 0; k < ARRAY_LEN(keys); k++)
		if (strcmp(info_value(u->info, keys[k], v, sizeof v), wants[k]))
			return set_error(u->errbuf, u->errlen, "%s: its %s says %s \"%s\", not \"%s\"", u->shown, PACKAGE_INFO,
			                 keys[k], v, wants[k]);
	char where[4096];
	if (want->root && *info_value(u->info, "root", where, sizeof where) && strcmp(where, want->root)) {
		set_error(u->errbuf, u->errlen, "%s was built with the root at %s, and this build's root is %s", u->shown,
		          where, want->root);
		return -2;
	}
	char sum[65];
	sha256_of(u->files, strlen(u->files), sum);
	if (strcmp(info_value(u->info, "files-sha256", v, sizeof v), sum))
		return set_error(u->errbuf, u->errlen, "%s: its file list %s has the sha256 %s, its %s says %s", u->shown,
		                 PACKAGE_FILES, sum, PACKAGE_INFO, v);
	struct buf why = {0};
	int rc = 0;
	if (filelist_parse(u->files, &u->fl, &why) < 0)
		rc = set_error(u->errbuf, u->errlen, "%s: its file list %s: %s", u->shown, PACKAGE_FILES, why.data);
	buf_free(&why);
	return rc;
}

static char type_of(struct archive_entry *e)
{
	switch (archive_entry_filetype(e)) {
	case AE_IFREG: return 'f';
	case AE_IFDIR: return 'd';
	case AE_IFLNK: return 'l';
	case AE_IFCHR: return 'c';
	case AE_IFBLK: return 'b';
	case AE_IFIFO: return 'p';
	default: return '?';
	}
}

/* Does the archive's entry `e` say what its list line `le` says? */
static int check_entry(struct unpack *u, struct archive_entry *e, const char *path, const struct filelist_entry *le)
{
	const char *hl = archive_entry_hardlink(e);
	char t = hl ? 'f' : type_of(e);
	unsigned mode = (unsigned)archive_entry_perm(e) & 07777;
	const char *target = archive_entry_symlink(e);
	if (!strcmp(le->what, "deleted"))
		return set_error(u->errbuf, u->errlen, "%s: %s: a deletion in its file list, an entry in the archive", u->shown, path);
	if (t != le->type)
		return set_error(u->errbuf, u->errlen, "%s: %s: type %c in its file list, %c in the archive", u->shown, path,
		                 le->type, t);
	if (mode != le->mode || (unsigned long)archive_entry_uid(e) != le->uid || (unsigned long)archive_entry_gid(e) != le->gid)
		return set_error(u->errbuf, u->errlen, "%s: %s: mode %04o owner %lu:%lu in its file list, mode %04o owner "
		                 "%lu:%lu in the archive", u->shown, path, le->mode, le->uid, le->gid, mode,
		                 (unsigned long)archive_entry_uid(e), (unsigned long)archive_entry_gid(e));
	if (t == 'l' && strcmp(target ? target : "", le->target))
		return set_error(u->errbuf, u->errlen, "%s: %s: symlink to %s in its file list, to %s in the archive", u->shown,
		                 path, le->target, target ? target : "nothing");
	if (hl) {
		const struct filelist_entry *to = filelist_find(&u->fl, hl);
		if (!to || !to->seen || to->type != 'f' || strcmp(to->sha256, le->sha256) || to->size != le->size)
			return set_error(u->errbuf, u->errlen, "%s: %s: a hard link to %s in the archive, which its file list "
			                 "does not give the same content (or which came not before it)", u->shown, path, hl);
	} else if (t == 'f' && (unsigned long long)archive_entry_size(e) != le->size) {
		return set_error(u->errbuf, u->errlen, "%s: %s: %llu bytes in its file list, %lld in the archive", u->shown,
		                 path, le->size, (long long)archive_entry_size(e));
	}
	return 0;
}

static void digest_zeros(struct digest *d, unsigned long long n)
{
	static const char zeros[4096];
	while (n) {
		size_t k = n < sizeof zeros ? (size_t)n : sizeof zeros;
		digest_update(d, zeros, k);
		n -= k;
	}
}

/* The data of a regular file to the disk, hashed on the way (holes as zeros); checked. */
static int copy_checked(struct unpack *u, struct archive_entry *e, const char *path, const struct filelist_entry *le)
{
	struct digest d;
	if (digest_init(&d, true, false) < 0)
		return set_error(u->errbuf, u->errlen, "%s: libcrypto failed", u->shown);
	unsigned long long pos = 0;
	const void *block;
	size_t size;
	la_int64_t off;
	int r;
	while ((r = archive_read_data_block(u->a, &block, &size, &off)) == ARCHIVE_OK) {
		if ((unsigned long long)off < pos) {
			digest_abort(&d);
			return set_error(u->errbuf, u->errlen, "%s: %s: its data blocks go backwards", u->shown, path);
		}
		digest_zeros(&d, (unsigned long long)off - pos);
		digest_update(&d, block, size);
		pos = (unsigned long long)off + size;
		if (archive_write_data_block(u->w, block, size, off) < ARCHIVE_WARN) {
			digest_abort(&d);
			return set_error(u->errbuf, u->errlen, "%s: %s: %s", u->shown, path, aerr(u->w));
		}
	}
	if (r != ARCHIVE_EOF) {
		digest_abort(&d);
		return set_error(u->errbuf, u->errlen, "%s: %s: cannot read its data: %s", u->shown, path,
		                 aerr(u->a));
	}
	if (pos < le->size)
		digest_zeros(&d, le->size - pos);
	char sum[65];
	digest_final(&d, sum, NULL);
	if (strcmp(sum, le->sha256))
		return set_error(u->errbuf, u->errlen, "%s: %s: sha256 %s in its file list, %s in the archive", u->shown, path,
		                 le->sha256, sum);
	return 0;
}

/* One entry of the tree: checked against the list, extracted (into the current directory). */
static int unpack_entry(struct unpack *u, struct archive_entry *e)
{
	const char *name = archive_entry_pathname(e);
	if (!name || !*name)
		return set_error(u->errbuf, u->errlen, "%s: an entry without a name", u->shown);
	char *path = xstrdup(name); /* a directory is written "usr/" */
	for (size_t n = strlen(path); n > 1 && path[n - 1] == '/'; n--)
		path[n - 1] = '\0';
	struct filelist_entry *le = filelist_find(&u->fl, path);
	int rc = -1;
	if (!le)
		set_error(u->errbuf, u->errlen, "%s: %s is in the archive, not in its file list", u->shown, path);
	else if (le->seen)
		set_error(u->errbuf, u->errlen, "%s: %s is in the archive twice", u->shown, path);
	else if (check_entry(u, e, path, le) == 0) {
		if (archive_write_header(u->w, e) < ARCHIVE_WARN)
			set_error(u->errbuf, u->errlen, "%s: %s: %s", u->shown, path, aerr(u->w));
		else if (le->type == 'f' && !archive_entry_hardlink(e) && copy_checked(u, e, path, le) < 0)
			;
		else if (archive_write_finish_entry(u->w) < ARCHIVE_WARN)
			set_error(u->errbuf, u->errlen, "%s: %s: %s", u->shown, path, aerr(u->w));
		else
			rc = 0;
		le->seen = rc == 0;
	}
	free(path);
	return rc;
}

/* The list's deletions as whiteouts and its replaced directories made opaque, below `ufd`; every
 * other listed entry (but sockets, which tar cannot hold) must have come from the archive. */
static int apply_list(struct unpack *u, int ufd)
{
	for (size_t k = 0; k < u->fl.n; k++) {
		struct filelist_entry *le = &u->fl.v[k];
		if (!strcmp(le->what, "deleted")) {
			char *leaf;
			int p = file_open_parent_beneath(ufd, le->path, &leaf);
			int r = p < 0 ? -1 : mknodat(p, leaf, S_IFCHR, makedev(0, 0));
			int e = errno;
			if (p >= 0)
				close(p);
			free(leaf);
			if (r < 0)
				return set_error(u->errbuf, u->errlen, "%s: the deletion of %s: cannot make its whiteout: %s", u->shown,
				                 le->path, strerror(e));
		} else if (!le->seen && le->type != 's') {
			return set_error(u->errbuf, u->errlen, "%s: %s is in its file list, not in the archive", u->shown, le->path);
		} else if (!strcmp(le->what, "replaced")) {
			int d = file_open_dir_beneath(ufd, le->path, true);
			int r = d < 0 ? -1 : fsetxattr(d, "trusted.overlay.opaque", "y", 1, 0);
			int e = errno;
			if (d >= 0)
				close(d);
			if (r < 0)
				return set_error(u->errbuf, u->errlen, "%s: %s: cannot mark it replaced (opaque): %s", u->shown,
				                 le->path, strerror(e));
		}
	}
	return 0;
}

/* The entries after the two members, extracted in the current directory (upper), then the list. */
static int unpack_tree(struct unpack *u, int ufd)
{
	for (;;) {
		struct archive_entry *e;
		int r = archive_read_next_header(u->a, &e);
		if (r == ARCHIVE_EOF)
			break;
		if (r < ARCHIVE_WARN)
			return set_error(u->errbuf, u->errlen, "%s: cannot read it: %s", u->shown, aerr(u->a));
		if (unpack_entry(u, e) < 0)
			return -1;
	}
	/* before the close: the directories' times and modes are set at the close */
	if (apply_list(u, ufd) < 0)
		return -1;
	if (archive_write_close(u->w) < ARCHIVE_WARN)
		return set_error(u->errbuf, u->errlen, "%s: %s", u->shown, aerr(u->w));
	return 0;
}

int package_unpack(int fd, const char *shown, const struct package_id *want, const char *upper, char *errbuf,
                   size_t errlen)
{
	struct unpack u = {.a = archive_read_new(), .w = archive_write_disk_new(), .shown = shown, .errbuf = errbuf,
	                   .errlen = errlen};
	archive_read_support_filter_zstd(u.a);
	archive_read_support_format_tar(u.a);
	/* numeric owners (no name lookup), and nothing written through a symlink, above upper or at an
	 * absolute path; every directory comes from the archive */
	archive_write_disk_set_options(u.w, ARCHIVE_EXTRACT_OWNER | ARCHIVE_EXTRACT_PERM | ARCHIVE_EXTRACT_TIME |
	                                        ARCHIVE_EXTRACT_XATTR | ARCHIVE_EXTRACT_ACL | ARCHIVE_EXTRACT_NO_AUTODIR |
	                                        ARCHIVE_EXTRACT_SECURE_SYMLINKS | ARCHIVE_EXTRACT_SECURE_NODOTDOT |
	                                        ARCHIVE_EXTRACT_SECURE_NOABSOLUTEPATHS);
	int rc = -1, cwd = open(".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	int ufd = open(upper, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	/* the whole stream first: a changed byte anywhere fails its checksum before anything is
	 * written (the file list below checks what the tar says, not every byte of it) */
	if (zstream_check(fd, shown, errbuf, errlen) < 0)
		goto out;
	if (archive_read_open_fd(u.a, fd, 1 << 16) != ARCHIVE_OK) {
		const char *why = archive_error_string(u.a);
		set_error(errbuf, errlen, "%s: cannot read it: %s", shown, why ? why : "not a tar.zst");
		goto out;
	}
	if ((rc = read_head(&u, want)) < 0)
		goto out;
	rc = -1;
	if (cwd < 0 || ufd < 0 || fchdir(ufd) < 0) {
		set_error(errbuf, errlen, "cannot enter %s: %s", upper, strerror(errno));
		goto out;
	}
	rc = unpack_tree(&u, ufd);
	if (fchdir(cwd) < 0)
		die("cannot return to the working directory:");
out:
	if (cwd >= 0)
		close(cwd);
	if (ufd >= 0)
		close(ufd);
	archive_read_free(u.a);
	archive_write_free(u.w);
	filelist_free(&u.fl);
	free(u.info);
	free(u.files);
	return rc;
}
