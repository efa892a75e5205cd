/* capture: the upper tree of a step's overlay, its file list, and the journalled merge into the
 * root (docs/engine.md, "Capture").
 *
 * The merge is a list of operations written to WORKDIR/capture/<flat>/merge.journal and fsync'd,
 * then a line "begin"; then applied; then "done". Each operation can be applied again after a
 * SIGKILL and gives the same result, so a journal that began is completed by the next build:
 *   d N MODE UID GID PATH   a directory: made if missing (a non-directory there goes to trash/N
 *                           first), then given the owner, mode and xattrs of the upper one
 *   o N MODE UID GID PATH   the same for an opaque directory, whose old content goes to trash/N
 *                           (or an empty trash/N is made): trash/N existing means "done"
 *   w N PATH                a whiteout: root/PATH to trash/N (or an empty trash/N): a deletion
 *   m PATH                  a non-directory: renamed from upper/ (a directory in the root there
 *                           goes to trash/m-LINE first); gone from upper/ means "done"
 *   t ATIME MTIME PATH      a directory's times, once its entries are in (seconds.nanoseconds)
 *   stamp LINE              (first, before the operations) a line of the ok stamp the step gets
 *                           when its merge is applied: written before "done", by the merge or by
 *                           the build that completes it, so a completed merge never runs its step
 *                           again
 * trash/ is removed before "done". Every path is opened component by component with O_NOFOLLOW
 * below the root's or the upper tree's fd: a symlink a step made is moved, never followed. */
#include "engine/capture.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <time.h>
#include <unistd.h>

#include "book/recipe.h"
#include "lib/fileutil.h"
#include "packages/bincache.h"
#include "packages/filelist.h"
#include "packages/package.h"
#include "sources/digest.h"
#include "state/state.h"

#define OVL_XATTR "trusted.overlay."

char *capture_dir(const char *workdir, const char *id)
{
	char *flat = step_flat_id(id);
	char *d = xasprintf("%s/capture/%s", workdir, flat);
	free(flat);
	return d;
}

char *capture_list_path(const char *workdir, const char *id)
{
	char *flat = step_flat_id(id);
	char *d = xasprintf("%s/packages/%s.files", workdir, flat);
	free(flat);
	return d;
}

void capture_escape(struct buf *b, const char *s)
{
	filelist_escape(b, s);
}

void capture_unescape(char *s)
{
	filelist_unescape(s);
}

int capture_prepare(const char *workdir, const char *id, const char *root, char *errbuf, size_t errlen)
{
	char *dir = capture_dir(workdir, id);
	char *upper = path_join(dir, "upper"), *work = path_join(dir, "work");
	struct stat st;
	int rc = 0;
	if (path_exists(dir) && remove_tree(dir) < 0)
		rc = set_error(errbuf, errlen, "cannot remove %s: %s", dir, strerror(errno));
	else if (mkdir_p(upper, 0755) < 0 || mkdir_p(work, 0700) < 0)
		rc = set_error(errbuf, errlen, "cannot create %s: %s", upper, strerror(errno));
	else if (lstat(root, &st) < 0 || !S_ISDIR(st.st_mode))
		rc = set_error(errbuf, errlen, "%s is not a directory", root);
	else if (chown(upper, st.st_uid, st.st_gid) < 0 || chmod(upper, st.st_mode & 07777) < 0)
		rc = set_error(errbuf, errlen, "cannot give %s the owner and mode of %s: %s", upper, root, strerror(errno));
	free(upper);
	free(work);
	free(dir);
	return rc;
}

/* ---- paths below a directory fd, never through a link ---- */

/* "/proc/self/fd/DIRFD/NAME": the l*xattr calls on it act on NAME itself, never through it. */
static char *fd_path(int dirfd, const char *name)
{
	return xasprintf("/proc/self/fd/%d/%s", dirfd, name);
}

/* Remove the overlay's own xattrs (trusted.overlay.*) from dirfd/name. */
static void strip_ovl_xattrs(int dirfd, const char *name)
{
	char *p = fd_path(dirfd, name), list[65536];
	ssize_t n = llistxattr(p, list, sizeof list);
	for (ssize_t k = 0; k < n; k += (ssize_t)strlen(list + k) + 1)
		if (str_starts(list + k, OVL_XATTR))
			lremovexattr(p, list + k);
	free(p);
}

/* The xattrs of directory `to` become those of `from` (but trusted.overlay.*). */
static int copy_dir_xattrs(int from, int to)
{
	char list[65536], val[65536];
	ssize_t n = flistxattr(to, list, sizeof list);
	for (ssize_t k = 0; k < n; k += (ssize_t)strlen(list + k) + 1)
		if (fgetxattr(from, list + k, NULL, 0) < 0 && errno == ENODATA)
			fremovexattr(to, list + k);
	n = flistxattr(from, list, sizeof list);
	for (ssize_t k = 0; k < n; k += (ssize_t)strlen(list + k) + 1) {
		if (str_starts(list + k, OVL_XATTR))
			continue;
		ssize_t v = fgetxattr(from, list + k, val, sizeof val);
		if (v >= 0 && fsetxattr(to, list + k, val, (size_t)v, 0) < 0)
			return -1;
	}
	return 0;
}

/* ---- the walk of the upper tree: the file list and the journal ---- */

struct plan {
	struct buf list, journal;
	int root;       /* the root's fd, for "new" or "changed" */
	unsigned n;     /* operations numbered for their trash slots */
	const char *upper_shown;
};

static char type_letter(mode_t m)
{
	return S_ISREG(m) ? 'f' : S_ISDIR(m) ? 'd' : S_ISLNK(m) ? 'l' : S_ISCHR(m) ? 'c' : S_ISBLK(m) ? 'b'
	       : S_ISFIFO(m) ? 'p' : 's';
}

static void list_entry(struct plan *pl, int dirfd, const char *name, const char *rel, const struct stat *st,
                       const char *what)
{
	char sum[65] = "-", target[4096] = "-";
	if (S_ISREG(st->st_mode)) {
		int fd = openat(dirfd, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY);
		struct digest d;
		if (fd >= 0 && digest_init(&d, true, false) == 0) {
			char chunk[65536];
			ssize_t n;
			while ((n = read(fd, chunk, sizeof chunk)) > 0)
				digest_update(&d, chunk, (size_t)n);
			digest_final(&d, sum, NULL);
		}
		if (fd >= 0)
			close(fd);
	} else if (S_ISLNK(st->st_mode)) {
		ssize_t n = readlinkat(dirfd, name, target, sizeof target - 1);
		target[n > 0 ? n : 0] = '\0';
	}
	buf_printf(&pl->list, "%s\t%c\t%04o\t%u\t%u\t%lld\t%s\t", what, type_letter(st->st_mode),
	           (unsigned)(st->st_mode & 07777), (unsigned)st->st_uid, (unsigned)st->st_gid,
	           S_ISREG(st->st_mode) ? (long long)st->st_size : 0LL, sum);
	capture_escape(&pl->list, target);
	buf_puts(&pl->list, "\t");
	capture_escape(&pl->list, rel);
	buf_puts(&pl->list, "\n");
}

static int cmp_names(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The names in directory fd (sorted). */
static int read_names(int fd, struct strv *names)
{
	int dup = openat(fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	DIR *d = dup >= 0 ? fdopendir(dup) : NULL;
	if (!d) {
		if (dup >= 0)
			close(dup);
		return -1;
	}
	struct dirent *e;
	while ((e = readdir(d)))
		if (strcmp(e->d_name, ".") && strcmp(e->d_name, ".."))
			strv_add(names, e->d_name);
	closedir(d);
	if (names->n)
		qsort(names->v, names->n, sizeof *names->v, cmp_names);
	return 0;
}

static void journal_path(struct buf *j, const char *rel)
{
	capture_escape(j, rel);
	buf_puts(j, "\n");
}

static int walk(struct plan *pl, int ufd, const char *prefix);

static int walk_dir(struct plan *pl, int ufd, const char *name, const char *rel, const struct stat *st, bool in_root)
{
	int sub = openat(ufd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (sub < 0)
		return -1;
	char v[4];
	bool opaque = fgetxattr(sub, OVL_XATTR "opaque", v, sizeof v) == 1 && v[0] == 'y';
	list_entry(pl, ufd, name, rel, st, opaque ? "replaced" : in_root ? "changed" : "new");
	buf_printf(&pl->journal, "%c\t%u\t%04o\t%u\t%u\t", opaque ? 'o' : 'd', pl->n++, (unsigned)(st->st_mode & 07777),
	           (unsigned)st->st_uid, (unsigned)st->st_gid);
	journal_path(&pl->journal, rel);
	int rc = walk(pl, sub, rel);
	close(sub);
	buf_printf(&pl->journal, "t\t%lld.%09ld\t%lld.%09ld\t", (long long)st->st_atim.tv_sec, st->st_atim.tv_nsec,
	           (long long)st->st_mtim.tv_sec, st->st_mtim.tv_nsec);
	journal_path(&pl->journal, rel);
	return rc;
}

static int walk(struct plan *pl, int ufd, const char *prefix)
{
	struct strv names = {0};
	if (read_names(ufd, &names) < 0)
		return -1;
	int rc = 0;
	for (size_t k = 0; k < names.n && rc == 0; k++) {
		const char *name = names.v[k];
		char *rel = *prefix ? xasprintf("%s/%s", prefix, name) : xstrdup(name);
		struct stat st, rst;
		char *leaf;
		int rp = file_open_parent_beneath(pl->root, rel, &leaf);
		bool in_root = rp >= 0 && fstatat(rp, leaf, &rst, AT_SYMLINK_NOFOLLOW) == 0;
		if (rp >= 0)
			close(rp);
		free(leaf);
		if (fstatat(ufd, name, &st, AT_SYMLINK_NOFOLLOW) < 0) {
			rc = -1;
		} else if (S_ISCHR(st.st_mode) && st.st_rdev == 0) {
			buf_printf(&pl->list, "deleted\t-\t-\t-\t-\t-\t-\t-\t");
			journal_path(&pl->list, rel);
			buf_printf(&pl->journal, "w\t%u\t", pl->n++);
			journal_path(&pl->journal, rel);
		} else if (S_ISDIR(st.st_mode)) {
			rc = walk_dir(pl, ufd, name, rel, &st, in_root);
		} else {
			list_entry(pl, ufd, name, rel, &st, in_root ? "changed" : "new");
			buf_puts(&pl->journal, "m\t");
			journal_path(&pl->journal, rel);
		}
		free(rel);
	}
	strv_free(&names);
	return rc;
}

/* ---- applying the journal ---- */

/* root/rel to trash/slot unless trash/slot exists (then this was done); an empty trash/slot
 * when root/rel does not exist. */
static int to_trash(int rfd, const char *rel, int trash, const char *slot)
{
	struct stat st;
	if (fstatat(trash, slot, &st, AT_SYMLINK_NOFOLLOW) == 0)
		return 0;
	char *leaf;
	int p = file_open_parent_beneath(rfd, rel, &leaf);
	int rc;
	if (p >= 0 && fstatat(p, leaf, &st, AT_SYMLINK_NOFOLLOW) == 0)
		rc = renameat(p, leaf, trash, slot);
	else
		rc = mkdirat(trash, slot, 0700);
	if (p >= 0)
		close(p);
	free(leaf);
	return rc;
}

static int apply_dir(int rfd, int ufd, int trash, char **f, bool opaque)
{
	const char *slot = f[1], *rel = f[5];
	if (opaque && to_trash(rfd, rel, trash, slot) < 0)
		return -1;
	char *leaf;
	int p = file_open_parent_beneath(rfd, rel, &leaf), rc = -1;
	struct stat st;
	if (p < 0)
		goto out;
	if (fstatat(p, leaf, &st, AT_SYMLINK_NOFOLLOW) == 0 && !S_ISDIR(st.st_mode)) {
		if (fstatat(trash, slot, &st, AT_SYMLINK_NOFOLLOW) == 0 || renameat(p, leaf, trash, slot) < 0)
			goto out;
	}
	if (mkdirat(p, leaf, 0700) < 0 && errno != EEXIST)
		goto out;
	int d = openat(p, leaf, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	int u = file_open_dir_beneath(ufd, rel, true);
	if (d >= 0 && u >= 0 && fchown(d, (uid_t)strtoul(f[3], NULL, 10), (gid_t)strtoul(f[4], NULL, 10)) == 0 &&
	    fchmod(d, (mode_t)strtoul(f[2], NULL, 8)) == 0 && copy_dir_xattrs(u, d) == 0)
		rc = 0;
	if (d >= 0)
		close(d);
	if (u >= 0)
		close(u);
out:
	if (p >= 0)
		close(p);
	free(leaf);
	return rc;
}

static int apply_move(int rfd, int ufd, int trash, const char *rel, unsigned line)
{
	char *leaf;
	int up = file_open_parent_beneath(ufd, rel, &leaf), rp = -1, rc = -1;
	struct stat st;
	if (up < 0 || fstatat(up, leaf, &st, AT_SYMLINK_NOFOLLOW) < 0) {
		rc = errno == ENOENT ? 0 : -1;   /* moved already */
		goto out;
	}
	free(leaf);
	rp = file_open_parent_beneath(rfd, rel, &leaf);
	if (rp < 0)
		goto out;
	if (fstatat(rp, leaf, &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISDIR(st.st_mode)) {
		char slot[32];
		snprintf(slot, sizeof slot, "m-%u", line);
		if (renameat(rp, leaf, trash, slot) < 0)
			goto out;
	}
	strip_ovl_xattrs(up, leaf);
	rc = renameat(up, leaf, rp, leaf);
out:
	if (up >= 0)
		close(up);
	if (rp >= 0)
		close(rp);
	free(leaf);
	return rc;
}

static int apply_times(int rfd, char **f)
{
	struct timespec ts[2];
	for (int k = 0; k < 2; k++) {
		char *dot;
		ts[k].tv_sec = (time_t)strtoll(f[1 + k], &dot, 10);
		ts[k].tv_nsec = *dot == '.' ? strtol(dot + 1, NULL, 10) : 0;
	}
	char *leaf;
	int p = file_open_parent_beneath(rfd, f[3], &leaf);
	int rc = p < 0 ? -1 : utimensat(p, leaf, ts, AT_SYMLINK_NOFOLLOW);
	if (p >= 0)
		close(p);
	free(leaf);
	return rc;
}

/* Apply the operations of the journal's text (after its "step" line). 0, or -1 with errbuf. */
static int apply(char *text, const char *root, const char *dir, char *errbuf, size_t errlen)
{
	char *upper = path_join(dir, "upper"), *tdir = path_join(dir, "trash");
	int rfd = open(root, O_PATH | O_DIRECTORY | O_CLOEXEC), ufd = open(upper, O_PATH | O_DIRECTORY | O_CLOEXEC);
	int rc = 0;
	if (mkdir(tdir, 0700) < 0 && errno != EEXIST)
		rc = -1;
	int trash = open(tdir, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (rfd < 0 || ufd < 0 || trash < 0)
		rc = set_error(errbuf, errlen, "merge into %s: cannot open %s, %s or %s: %s", root, root, upper, tdir,
		               strerror(errno));
	unsigned line = 0;
	char *save = NULL;
	for (char *l = strtok_r(text, "\n", &save); l && rc == 0; l = strtok_r(NULL, "\n", &save)) {
		line++;
		char *f[6] = {0};
		size_t nf = 0;
		for (char *c = l; c && nf < 6; nf++) {
			f[nf] = c;
			c = strchr(c, '\t');
			if (c)
				*c++ = '\0';
		}
		const char *rel = f[nf - 1];
		capture_unescape(f[nf - 1]);
		int r = 0;
		if (!strcmp(f[0], "stamp"))
			continue;
		if ((f[0][0] == 'd' || f[0][0] == 'o') && nf == 6)
			r = apply_dir(rfd, ufd, trash, f, f[0][0] == 'o');
		else if (f[0][0] == 'w' && nf == 3)
			r = to_trash(rfd, rel, trash, f[1]);
		else if (f[0][0] == 'm' && nf == 2)
			r = apply_move(rfd, ufd, trash, rel, line);
		else if (f[0][0] == 't' && nf == 4)
			r = apply_times(rfd, f);
		if (r < 0)
			rc = set_error(errbuf, errlen, "merge into %s: %s %s: %s", root, f[0], rel, strerror(errno));
	}
	if (rfd >= 0)
		close(rfd);
	if (ufd >= 0)
		close(ufd);
	if (trash >= 0)
		close(trash);
	if (rc == 0 && remove_tree(tdir) < 0)
		rc = set_error(errbuf, errlen, "cannot remove %s: %s", tdir, strerror(errno));
	free(upper);
	free(tdir);
	return rc;
}

/* ---- the journal ---- */

static int append_sync(const char *path, const char *text)
{
	int fd = open(path, O_WRONLY | O_APPEND | O_CLOEXEC);
	if (fd < 0)
		return -1;
	ssize_t n = write(fd, text, strlen(text));
	int rc = n == (ssize_t)strlen(text) && fsync(fd) == 0 ? 0 : -1;
	close(fd);
	return rc;
}

/* Write `data` to path.part, fsync, rename to path, fsync the directory. */
static int write_synced(const char *path, const char *data, size_t len)
{
	char *part = xasprintf("%s.part", path), *dir = xstrdup(path);
	*strrchr(dir, '/') = '\0';
	int fd = open(part, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644), rc = -1;
	if (fd >= 0) {
		ssize_t n = len ? write(fd, data, len) : 0;
		rc = n == (ssize_t)len && fsync(fd) == 0 ? 0 : -1;
		close(fd);
	}
	if (rc == 0)
		rc = rename(part, path);
	int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd >= 0) {
		fsync(dfd);
		close(dfd);
	}
	if (rc < 0)
		unlink(part);
	free(part);
	free(dir);
	return rc;
}

/* Is `line` a whole line of text? */
static bool has_line(const char *text, const char *line)
{
	size_t n = strlen(line);
	for (const char *p = text; p && *p; p = strchr(p, '\n'), p = p ? p + 1 : NULL)
		if (!strncmp(p, line, n) && (p[n] == '\n' || p[n] == '\0'))
			return true;
	return false;
}

/* The step's ok stamp from the journal's "stamp" lines (the text is left as it is), written to
 * WORKDIR/state/stamps: 0, or -1 (errno) when it cannot be written. No stamp lines: nothing. */
static int write_journal_stamp(const char *workdir, const char *text)
{
	struct buf st = {0};
	char *id = NULL;
	for (const char *l = text; l && *l; l = strchr(l, '\n'), l = l ? l + 1 : NULL) {
		size_t n = strcspn(l, "\n");
		if (str_starts(l, "step ") && !id)
			id = xstrndup(l + 5, n - 5);
		if (!str_starts(l, "stamp\t"))
			continue;
		char *line = xstrndup(l + 6, n - 6);
		capture_unescape(line);
		buf_printf(&st, "%s\n", line);
		free(line);
	}
	struct stamp s;
	int rc = 0;
	if (id && st.data && stamp_parse(st.data, &s) == 0) {
		rc = stamp_write(workdir, id, &s);
		stamp_free(&s);
	}
	free(id);
	buf_free(&st);
	return rc;
}

/* The journal's operations (between its first line and "begin") applied, the step's ok stamp
 * written, "done", the capture directory removed. */
static int complete(const char *workdir, const char *jpath, char *text, const char *root, const char *dir,
                    char *errbuf, size_t errlen)
{
	char *ops = strchr(text, '\n');
	char *end = ops ? strstr(ops, "\nbegin\n") : NULL;
	if (!ops || !end)
		return set_error(errbuf, errlen, "%s: no operations before \"begin\"", jpath);
	char *stamp_text = xstrndup(text, (size_t)(end - text) + 1);
	end[1] = '\0';
	int rc = apply(ops + 1, root, dir, errbuf, errlen);
	if (rc == 0 && write_journal_stamp(workdir, stamp_text) < 0)
		rc = set_error(errbuf, errlen, "%s: merged, but cannot write the step's stamp: %s", jpath, strerror(errno));
	free(stamp_text);
	if (rc < 0)
		return -1;
	if (append_sync(jpath, "done\n") < 0)
		return set_error(errbuf, errlen, "%s: cannot write \"done\": %s", jpath, strerror(errno));
	if (remove_tree(dir) < 0)
		warnx("cannot remove %s: %s", dir, strerror(errno));
	return 0;
}

static void pause_for_tests(void)
{
	const char *s = getenv("LFSBUILD_TEST_MERGE_PAUSE");
	if (s && *s) {
		struct timespec ts = {(time_t)atoi(s), 0};
		while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
			;
	}
}

/* The step's package archive, written whole, and put into the binary cache. Failures are warned:
 * the merge goes on without an archive. */
static void pack_upper(const char *workdir, const char *id, const char *root, const char *upper, const char *list,
                       const struct capture_pack *pack)
{
	struct package_id pid = {id, pack->version, pack->hash, root};
	char *name = package_file_name(&pid), *pdir = path_join(workdir, "packages"), *out = path_join(pdir, name);
	char err[1024];
	if (package_pack(upper, list, &pid, out, err, sizeof err) < 0)
		warnx("%s: no package archive: %s", id, err);
	else if (pack->cache && bincache_store(pack->cache, out, err, sizeof err) < 0)
		warnx("%s: its package archive %s is not in the cache %s: %s", id, out, pack->cache, err);
	free(out);
	free(pdir);
	free(name);
}

/* The ok stamp's lines as "stamp" lines of the journal. */
static void journal_stamp(struct buf *j, const char *id, const struct stamp *ok)
{
	char *text = ok ? stamp_format(id, ok) : NULL;
	char *save = NULL;
	for (char *l = text ? strtok_r(text, "\n", &save) : NULL; l; l = strtok_r(NULL, "\n", &save)) {
		buf_puts(j, "stamp\t");
		journal_path(j, l);
	}
	free(text);
}

/* docs/REPRODUCIBILITY.md, "What differs, and the fix" */
static const char *const build_caches[] = {"var/cache/ldconfig/aux-cache", "usr/share/info/dir"};

int capture_drop_caches(const char *upper)
{
	int ufd = open(upper, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (ufd < 0)
		return -1;
	int rc = 0;
	for (size_t i = 0; i < ARRAY_LEN(build_caches); i++) {
		char *leaf = NULL;
		int pfd = file_open_parent_beneath(ufd, build_caches[i], &leaf);
		struct stat st;
		if (pfd >= 0 && fstatat(pfd, leaf, &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISREG(st.st_mode) &&
		    unlinkat(pfd, leaf, 0) < 0 && errno != ENOENT)
			rc = -1;
		if (pfd >= 0)
			close(pfd);
		free(leaf);
	}
	close(ufd);
	return rc;
}

int capture_merge(const char *workdir, const char *id, const char *root, const struct capture_pack *pack,
                  const struct stamp *ok, char *errbuf, size_t errlen)
{
	char *dir = capture_dir(workdir, id), *upper = path_join(dir, "upper");
	char *jpath = path_join(dir, "merge.journal"), *lpath = capture_list_path(workdir, id);
	char *pdir = path_join(workdir, "packages");
	struct plan pl = {.root = open(root, O_PATH | O_DIRECTORY | O_CLOEXEC)};
	int ufd = open(upper, O_RDONLY | O_DIRECTORY | O_CLOEXEC), rc = -1;
	buf_printf(&pl.list, "# lfsbuild file list of %s: what type mode uid gid size sha256 target path\n", id);
	buf_printf(&pl.journal, "step %s\n", id);
	journal_stamp(&pl.journal, id, ok);
	if (pl.root < 0 || ufd < 0) {
		set_error(errbuf, errlen, "merge of %s: cannot open %s or %s: %s", id, root, upper, strerror(errno));
		goto out;
	}
	if (capture_drop_caches(upper) < 0) {
		set_error(errbuf, errlen, "merge of %s: cannot remove ldconfig's cache or the Info directory from %s: %s", id, upper,
		          strerror(errno));
		goto out;
	}
	if (walk(&pl, ufd, "") < 0) {
		set_error(errbuf, errlen, "merge of %s: cannot read %s: %s", id, upper, strerror(errno));
		goto out;
	}
	if (mkdir_p(pdir, 0755) < 0) {
		set_error(errbuf, errlen, "cannot create %s: %s", pdir, strerror(errno));
		goto out;
	}
	if (pack)
		pack_upper(workdir, id, root, upper, pl.list.data, pack);
	if (write_synced(lpath, pl.list.data, pl.list.len) < 0) {
		set_error(errbuf, errlen, "cannot write %s: %s", lpath, strerror(errno));
		goto out;
	}
	if (write_synced(jpath, pl.journal.data, pl.journal.len) < 0 || append_sync(jpath, "begin\n") < 0) {
		set_error(errbuf, errlen, "cannot write %s: %s", jpath, strerror(errno));
		goto out;
	}
	pause_for_tests();
	buf_puts(&pl.journal, "begin\n");
	rc = complete(workdir, jpath, pl.journal.data, root, dir, errbuf, errlen);
out:
	if (pl.root >= 0)
		close(pl.root);
	if (ufd >= 0)
		close(ufd);
	buf_free(&pl.list);
	buf_free(&pl.journal);
	free(dir);
	free(upper);
	free(jpath);
	free(lpath);
	free(pdir);
	return rc;
}

int capture_list_tree(const char *id, const char *root, const char *upper, struct buf *list, char *errbuf,
                      size_t errlen)
{
	struct plan pl = {.root = open(root, O_PATH | O_DIRECTORY | O_CLOEXEC)};
	int ufd = open(upper, O_RDONLY | O_DIRECTORY | O_CLOEXEC), rc = -1;
	buf_printf(&pl.list, "# lfsbuild file list of %s: what type mode uid gid size sha256 target path\n", id);
	if (pl.root < 0 || ufd < 0)
		set_error(errbuf, errlen, "cannot open %s or %s: %s", root, upper, strerror(errno));
	else if (walk(&pl, ufd, "") < 0)
		set_error(errbuf, errlen, "cannot read %s: %s", upper, strerror(errno));
	else
		rc = 0;
	if (pl.root >= 0)
		close(pl.root);
	if (ufd >= 0)
		close(ufd);
	buf_free(&pl.journal);
	if (rc == 0)
		*list = pl.list;
	else
		buf_free(&pl.list);
	return rc;
}

int capture_list_uncaptured(const char *workdir, const char *id, const char *why)
{
	char *pdir = path_join(workdir, "packages"), *lpath = capture_list_path(workdir, id);
	char *text = xasprintf("# lfsbuild file list of %s: not captured (%s)\n", id, why);
	int rc = mkdir_p(pdir, 0755) < 0 ? -1 : write_synced(lpath, text, strlen(text));
	free(text);
	free(lpath);
	free(pdir);
	return rc;
}

int capture_recover(const char *workdir, const char *root, FILE *out)
{
	char *cdir = path_join(workdir, "capture");
	DIR *d = opendir(cdir);
	int done = 0;
	struct dirent *e;
	while (d && (e = readdir(d))) {
		if (e->d_name[0] == '.')
			continue;
		char *dir = path_join(cdir, e->d_name), *jpath = path_join(dir, "merge.journal");
		char *text = read_file(jpath, NULL);
		if (text && has_line(text, "begin") && !has_line(text, "done")) {
			char err[1024], *nl = strchr(text, '\n');
			fprintf(out, "lfsbuild: completing the merge of %.*s into %s, interrupted last time (%s)\n",
			        nl ? (int)(nl - text - 5) : 0, text + 5, root, jpath);
			fflush(out);
			bool has_stamp = strstr(text, "\nstamp\t") != NULL;
			if (complete(workdir, jpath, text, root, dir, err, sizeof err) < 0) {
				errorf("%s", err);
				done = -1;
			} else {
				if (has_stamp)
					fprintf(out, "lfsbuild: %.*s is merged and its stamp says ok, as its success would have written it\n",
					        nl ? (int)(nl - text - 5) : 0, text + 5);
				if (done >= 0)
					done++;
			}
		} else if (text && has_line(text, "done")) {
			remove_tree(dir);
		} else if (text) {
			unlink(jpath); /* never began: the root is as before the step, which runs again */
		}
		free(text);
		free(jpath);
		free(dir);
	}
	if (d)
		closedir(d);
	free(cdir);
	return done;
}
