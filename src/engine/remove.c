/* remove: a captured step's files out of the root, what is kept and why, the stamp marked. */
#include "engine/remove.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "book/recipe.h"
#include "engine/capture.h"
#include "engine/pkgdb.h"
#include "lib/fileutil.h"
#include "sources/digest.h"
#include "state/state.h"

/* Why a path is kept; the titles are the summary's. */
enum keep { K_LATER, K_CHANGED, K_EARLIER, K_NOFOLLOW, K_ERROR, K_DIR, NKEEP };
static const char *const keep_title[NKEEP] = {
	"that a later step rewrote or deleted (its file list names them)",
	"changed since the merge (not as the step's list says: something not captured, such as ch8/stripping, "
	"changed them)",
	"that an earlier step installed too (this step changed them; kept for that step)",
	"behind something that is no longer a directory (a symlink on the way is never followed)",
	"that could not be removed",
	"(not empty, listed by another step, or no directory any more)",
};

struct removal {
	const struct pkgdb *db;
	size_t k;                       /* the step's list in db */
	const struct pkg_list *l;
	int rootfd;
	bool dry_run;
	FILE *log;
	bool *gone;                     /* per entry of the list: removed (or would be), or not there */
	unsigned long long files, bytes, dirs, absent, deleted, before;
	size_t kept[NKEEP];
	struct strv first[NKEEP];       /* the first few paths of each, with the detail */
};

#define FIRST_SHOWN 3

/* ---- the log and the tallies ---- */

static char *escaped(const char *path)
{
	struct buf b = {0};
	buf_puts(&b, "");
	capture_escape(&b, path);
	return b.data;
}

static void log_line(struct removal *r, const char *verb, const char *path, const char *detail)
{
	char *p = escaped(path);
	fprintf(r->log, "%-8s %s%s%s\n", verb, p, detail ? ": " : "", detail ? detail : "");
	free(p);
}

static void keep(struct removal *r, enum keep why, const char *path, const char *detail)
{
	char *p = escaped(path);
	if (r->kept[why]++ < FIRST_SHOWN)
		strv_push(&r->first[why], detail ? xasprintf("%s (%s)", p, detail) : xstrdup(p));
	free(p);
	log_line(r, "kept", path, detail ? detail : keep_title[why]);
}

/* LFSBUILD_TEST_REMOVE_PAUSE=SECONDS: a test hook, a pause after the first removal (the kill drill). */
static void pause_for_tests(void)
{
	const char *s = getenv("LFSBUILD_TEST_REMOVE_PAUSE");
	if (s && *s) {
		struct timespec ts = {(time_t)atoi(s), 0};
		while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
			;
	}
}

/* ---- who else names a path ---- */

/* The latest ref of a list after ours that counts and names `path`, or -1. */
static int32_t later_writer(const struct removal *r, const char *path)
{
	for (int32_t q = pkgdb_first(r->db, path); q >= 0; q = r->db->refs[q].next) {
		size_t li = r->db->refs[q].list;
		if (li > r->k && pkgdb_counts(r->db, li))
			return q;
	}
	return -1;
}

/* The latest list before ours that counts and has `path` (not deleted there), or NULL. */
static const struct pkg_list *earlier_writer(const struct removal *r, const char *path)
{
	for (int32_t q = pkgdb_first(r->db, path); q >= 0; q = r->db->refs[q].next) {
		size_t li = r->db->refs[q].list;
		if (li < r->k && pkgdb_counts(r->db, li))
			return pkgdb_entry(r->db, q)->what == 'd' ? NULL : &r->db->lists[li];
	}
	return NULL;
}

/* Another list that counts and has the directory `path`, or NULL. */
static const struct pkg_list *other_lister(const struct removal *r, const char *path)
{
	for (int32_t q = pkgdb_first(r->db, path); q >= 0; q = r->db->refs[q].next) {
		size_t li = r->db->refs[q].list;
		if (li != r->k && pkgdb_counts(r->db, li) && pkgdb_entry(r->db, q)->what != 'd')
			return &r->db->lists[li];
	}
	return NULL;
}

/* ---- is the root's path what the list says? ---- */

static char type_of(mode_t m)
{
	return S_ISREG(m) ? 'f' : S_ISDIR(m) ? 'd' : S_ISLNK(m) ? 'l' : S_ISCHR(m) ? 'c' : S_ISBLK(m) ? 'b'
	       : S_ISFIFO(m) ? 'p' : 's';
}

static const char *type_name(char t)
{
	switch (t) {
	case 'f': return "a regular file";
	case 'd': return "a directory";
	case 'l': return "a symlink";
	case 'c': return "a character device";
	case 'b': return "a block device";
	case 'p': return "a FIFO";
	default: return "a socket";
	}
}

/* The sha256 of the regular file dir/leaf, the inode `st` (opened without following). */
static int hash_file(int dir, const char *leaf, const struct stat *st, char hex[65])
{
	int fd = openat(dir, leaf, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
	struct stat now;
	if (fd < 0)
		return -1;
	struct digest d;
	int rc = -1;
	if (fstat(fd, &now) == 0 && now.st_ino == st->st_ino && now.st_dev == st->st_dev && S_ISREG(now.st_mode) &&
	    digest_init(&d, true, false) == 0) {
		char chunk[65536];
		ssize_t n;
		while ((n = read(fd, chunk, sizeof chunk)) > 0)
			digest_update(&d, chunk, (size_t)n);
		digest_final(&d, hex, NULL);
		rc = n < 0 ? -1 : 0;
	}
	close(fd);
	return rc;
}

/* NULL when dir/leaf (stat `st`) is what entry e says, else why not (malloc'd). */
static char *mismatch(int dir, const char *leaf, const struct stat *st, const struct pkg_entry *e)
{
	char t = type_of(st->st_mode);
	if (t != e->type)
		return xasprintf("now %s, the list says %s", type_name(t), type_name(e->type));
	if (t == 'f') {
		char hex[65];
		if ((unsigned long long)st->st_size != e->size || hash_file(dir, leaf, st, hex) < 0 ||
		    strcmp(hex, e->sha256))
			return xstrdup("its content differs from the list's sha256");
	} else if (t == 'l') {
		char target[4096];
		ssize_t n = readlinkat(dir, leaf, target, sizeof target - 1);
		target[n > 0 ? n : 0] = '\0';
		if (n < 0 || strcmp(target, e->target))
			return xasprintf("it points to %s, the list says %s", target, e->target);
	}
	return NULL;
}

/* ---- one path ---- */

/* The parent directory of `path` below the root (O_NOFOLLOW all the way) and its last name. */
static int open_parent(const struct removal *r, const char *path, char **leaf)
{
	const char *slash = strrchr(path, '/');
	*leaf = xstrdup(slash ? slash + 1 : path);
	char *dir = slash ? xstrndup(path, (size_t)(slash - path)) : xstrdup("");
	int fd = dir_open_beneath(r->rootfd, dir);
	free(dir);
	return fd;
}

/* Entry j, not a directory: removed unless a later step rewrote it, it changed since the merge,
 * an earlier step has it too (when this one changed it), or its path leads through a link. */
static void remove_entry(struct removal *r, size_t j)
{
	const struct pkg_entry *e = &r->l->e[j];
	int32_t later = later_writer(r, e->path);
	if (later >= 0) {
		char *detail = xasprintf("%s by %s", pkgdb_entry(r->db, later)->what == 'd' ? "deleted" : "rewritten",
		                         r->db->lists[r->db->refs[later].list].id);
		keep(r, K_LATER, e->path, detail);
		free(detail);
		return;
	}
	const struct pkg_list *other;
	if (e->what == 'c' && (other = earlier_writer(r, e->path))) {
		char *detail = xasprintf("installed by %s", other->id);
		keep(r, K_EARLIER, e->path, detail);
		free(detail);
		return;
	}
	char *leaf, *why = NULL;
	int dir = open_parent(r, e->path, &leaf);
	struct stat st;
	if (dir < 0 && errno != ENOENT) {
		keep(r, errno == ELOOP || errno == ENOTDIR ? K_NOFOLLOW : K_ERROR, e->path,
		     errno == ELOOP ? "a symlink on the way" : errno == ENOTDIR ? "no directory on the way" : strerror(errno));
	} else if (dir < 0 || fstatat(dir, leaf, &st, AT_SYMLINK_NOFOLLOW) < 0) {
		r->gone[j] = true;
		r->absent++;
		log_line(r, "absent", e->path, NULL);
	} else if ((why = mismatch(dir, leaf, &st, e))) {
		keep(r, K_CHANGED, e->path, why);
	} else if (!r->dry_run && unlinkat(dir, leaf, 0) < 0) {
		keep(r, K_ERROR, e->path, strerror(errno));
	} else {
		r->gone[j] = true;
		r->files++;
		r->bytes += S_ISREG(st.st_mode) ? (unsigned long long)st.st_size : 0;
		r->before += e->what == 'c';
		log_line(r, r->dry_run ? "would remove" : "removed", e->path,
		         e->what == 'c' ? "it was there before the step" : NULL);
		if (r->files == 1 && !r->dry_run) {
			fflush(r->log);
			pause_for_tests();
		}
	}
	free(why);
	free(leaf);
	if (dir >= 0)
		close(dir);
}

/* Would the directory `fd` (path `path`) be empty once the step's entries marked gone are? */
static bool empty_after(const struct removal *r, int fd, const char *path)
{
	int dup = openat(fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	DIR *d = dup >= 0 ? fdopendir(dup) : NULL;
	if (!d) {
		if (dup >= 0)
			close(dup);
		return false;
	}
	struct dirent *de;
	bool empty = true;
	while (empty && (de = readdir(d))) {
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		char *child = xasprintf("%s/%s", path, de->d_name);
		bool ours = false;
		for (int32_t q = pkgdb_first(r->db, child); q >= 0 && !ours; q = r->db->refs[q].next)
			ours = r->db->refs[q].list == r->k && r->gone[r->db->refs[q].entry];
		empty = ours;
		free(child);
	}
	closedir(d);
	return empty;
}

/* Entry j, a directory the step made: removed when no other list has it and it is empty. */
static void remove_dir(struct removal *r, size_t j)
{
	const struct pkg_entry *e = &r->l->e[j];
	const struct pkg_list *other = other_lister(r, e->path);
	if (other) {
		char *detail = xasprintf("listed by %s too", other->id);
		keep(r, K_DIR, e->path, detail);
		free(detail);
		return;
	}
	char *leaf;
	int dir = open_parent(r, e->path, &leaf);
	struct stat st;
	if (dir < 0 && errno != ENOENT) {
		keep(r, K_NOFOLLOW, e->path, errno == ELOOP ? "a symlink on the way" : strerror(errno));
	} else if (dir < 0 || fstatat(dir, leaf, &st, AT_SYMLINK_NOFOLLOW) < 0) {
		r->gone[j] = true;
		r->absent++;
		log_line(r, "absent", e->path, NULL);
	} else if (!S_ISDIR(st.st_mode)) {
		char *detail = xasprintf("now %s", type_name(type_of(st.st_mode)));
		keep(r, K_DIR, e->path, detail);
		free(detail);
	} else {
		int fd = r->dry_run ? openat(dir, leaf, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC) : -1;
		bool empty = r->dry_run ? fd >= 0 && empty_after(r, fd, e->path) : unlinkat(dir, leaf, AT_REMOVEDIR) == 0;
		int err = errno;
		if (fd >= 0)
			close(fd);
		if (empty) {
			r->gone[j] = true;
			r->dirs++;
			log_line(r, r->dry_run ? "would remove" : "removed", e->path, NULL);
		} else {
			keep(r, K_DIR, e->path, r->dry_run || err == ENOTEMPTY || err == EEXIST ? "not empty" : strerror(err));
		}
	}
	free(leaf);
	if (dir >= 0)
		close(dir);
}

/* ---- the step, its stamp, what is said ---- */

/* "2026-11-25 12:03:01" (local time); a static buffer rotated among 2 calls. */
static const char *when(double epoch)
{
	static char bufs[2][32];
	static int i;
	char *b = bufs[i++ & 1];
	time_t t = (time_t)epoch;
	struct tm tm;
	localtime_r(&t, &tm);
	strftime(b, 32, "%Y-%m-%d %H:%M:%S", &tm);
	return b;
}

/* Is the removal of list k (-1: none) refused? Says why on stderr. */
static bool refused(const struct pkgdb *db, ssize_t k, const char *workdir, const char *id)
{
	if (k < 0) {
		char *file = capture_list_path(workdir, id);
		errorf("no file list for %s (%s): it has not been built with --capture on, so what it wrote is not known; "
		       "nothing was removed", id, file);
		free(file);
		return true;
	}
	const struct pkg_list *l = &db->lists[k];
	if (!l->captured)
		errorf("%s ran with `capture no` (its recipe): it writes the root directly, so what it wrote is not known "
		       "(%s); nothing was removed", id, l->file);
	else if (!l->result)
		errorf("%s has no stamp in %s/state/stamps: its file list %s is from an earlier build; nothing was removed",
		       id, workdir, l->file);
	else if (l->stale)
		errorf("the file list of %s (%s, written %s) is older than its last build (started %s), which ran without "
		       "--capture on: what that build wrote is not known; nothing was removed (`lfsbuild build --capture on "
		       "--only %s` builds it again with a list)", id, l->file, when(l->mtime), when(l->stamp_start), id);
	else if (strcmp(l->result, "ok") && strcmp(l->result, "invalid") && !l->removed)
		errorf("the last build of %s did not succeed (its stamp says %s): its file list may not describe the root; "
		       "nothing was removed (build it first: lfsbuild build %s)", id, l->result, id);
	else
		return false;
	return true;
}

/* The stamp of `id` with `result` and `note` (taken), the rest as it was. 0 or -1 (errno). */
static int mark(const char *workdir, const char *id, const char *result, char *note)
{
	struct stamp st;
	if (stamp_read(workdir, id, &st) < 0) {
		free(note);
		return -1;
	}
	free(st.result);
	st.result = xstrdup(result);
	free(st.note);
	st.note = note;
	int rc = stamp_write(workdir, id, &st);
	stamp_free(&st);
	return rc;
}

static void summary(const struct removal *r, FILE *out, const char *logpath)
{
	const char *would = r->dry_run ? "would be " : "";
	fprintf(out, "%sremoved: %llu file%s, link%s and other non-directories (%s), %llu director%s\n", would, r->files,
	        r->files == 1 ? "" : "s", r->files == 1 ? "" : "s", fmt_bytes((double)r->bytes), r->dirs,
	        r->dirs == 1 ? "y" : "ies");
	if (r->before)
		fprintf(out, "  %llu of them were in the root before the step changed them (no captured step installed "
		             "them): what was there before is not brought back\n", r->before);
	for (int why = 0; why < NKEEP; why++) {
		size_t n = r->kept[why];
		if (!n)
			continue;
		const char *noun = why == K_DIR ? (n == 1 ? "directory" : "directories") : (n == 1 ? "path" : "paths");
		fprintf(out, "kept %zu %s %s: ", n, noun, keep_title[why]);
		for (size_t q = 0; q < r->first[why].n; q++)
			fprintf(out, "%s%s", q ? ", " : "", r->first[why].v[q]);
		fprintf(out, "%s\n", n > r->first[why].n ? ", ..." : "");
	}
	if (r->absent)
		fprintf(out, "not in the root any more: %llu path%s (removed before, or by something else)\n", r->absent,
		        r->absent == 1 ? "" : "s");
	if (r->deleted)
		fprintf(out, "the step deleted %llu path%s: a removal does not bring %s back\n", r->deleted,
		        r->deleted == 1 ? "" : "s", r->deleted == 1 ? "it" : "them");
	fprintf(out, "full list: %s\n", logpath);
	if (r->dry_run)
		fprintf(out, "nothing was changed (--dry-run)\n");
	else
		fprintf(out, "%s is marked removed in its stamp: a build leaves it out; `lfsbuild build %s` builds it "
		             "again\n", r->l->id, r->l->id);
}

/* The step's non-directories from the last to the first (children before their directory),
 * then the directories it made, deepest first. */
static void remove_all(struct removal *r)
{
	const struct pkg_list *l = r->l;
	for (size_t j = l->n; j-- > 0;) {
		const struct pkg_entry *e = &l->e[j];
		if (e->what == 'd') {
			r->deleted++;
			log_line(r, "deleted", e->path, "the step deleted it: a removal does not bring it back");
		} else if (e->type != 'd') {
			remove_entry(r, j);
		}
	}
	for (size_t j = l->n; j-- > 0;)
		if (l->e[j].type == 'd' && l->e[j].what == 'n')
			remove_dir(r, j);
}

static int run_removal(const struct pkgdb *db, size_t k, const char *workdir, const char *root, bool dry_run,
                       FILE *out)
{
	const struct pkg_list *l = &db->lists[k];
	struct removal r = {.db = db, .k = k, .l = l, .dry_run = dry_run, .rootfd = -1};
	char *logpath = xasprintf("%s/logs/remove/%s%s.log", workdir, l->id, dry_run ? ".dry-run" : "");
	char *logdir = xstrndup(logpath, (size_t)(strrchr(logpath, '/') - logpath));
	int rc = -1;
	if ((r.rootfd = open(root, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)) < 0) {
		errorf("cannot open the root %s:", root);
		goto out;
	}
	if (mkdir_p(logdir, 0755) < 0 || !(r.log = fopen(logpath, "we"))) {
		errorf("cannot write %s:", logpath);
		goto out;
	}
	if (!dry_run && mark(workdir, l->id, "removing",
	                     xasprintf("lfsbuild remove began %s; `lfsbuild remove %s` or the next build completes it",
	                               when(now_wall()), l->id)) < 0) {
		errorf("cannot mark the stamp of %s; nothing was removed:", l->id);
		goto out;
	}
	fprintf(out, "%s %s from %s (its file list: %s)%s\n", dry_run ? "would remove" : "removing", l->id, root,
	        l->file, !l->removed ? "" : !strcmp(l->result, "removing") ? "; the rest of a removal cut short"
	                                                                   : "; it was removed before: what is left of it");
	fflush(out);
	fprintf(r.log, "# lfsbuild remove %s%s, %s: root %s, file list %s\n", l->id, dry_run ? " --dry-run" : "",
	        when(now_wall()), root, l->file);
	r.gone = xcalloc(l->n + 1, sizeof *r.gone);
	remove_all(&r);
	size_t nkept = 0;
	for (int why = 0; why < NKEEP; why++)
		nkept += r.kept[why];
	char *note = dry_run ? NULL
	                     : xasprintf("removed by lfsbuild remove %s: %llu paths removed, %zu kept (logs/remove/%s.log)",
	                                 when(now_wall()), r.files + r.dirs, nkept, l->id);
	if (note && mark(workdir, l->id, "removed", note) < 0) {
		errorf("cannot mark the stamp of %s removed (it says removing: `lfsbuild remove %s` completes it):",
		       l->id, l->id);
		goto out;
	}
	summary(&r, out, logpath);
	rc = 0;
out:
	if (r.log && fclose(r.log) != 0)
		warnx("cannot write %s:", logpath);
	if (r.rootfd >= 0)
		close(r.rootfd);
	for (int why = 0; why < NKEEP; why++)
		strv_free(&r.first[why]);
	free(r.gone);
	free(logdir);
	free(logpath);
	return rc;
}

int remove_step(const char *workdir, const char *root, const struct recipe_set *set, const char *id, bool dry_run,
                FILE *out)
{
	struct pkgdb db;
	char err[1024];
	if (pkgdb_load(&db, workdir, set, err, sizeof err) < 0)
		return errorf("%s", err);
	ssize_t k = pkgdb_find_list(&db, id);
	int rc = refused(&db, k, workdir, id) ? 1 : run_removal(&db, (size_t)k, workdir, root, dry_run, out);
	pkgdb_free(&db);
	return rc;
}

int remove_recover(const char *workdir, const char *root, const struct recipe_set *set, FILE *out)
{
	int done = 0;
	for (size_t i = 0; i < set->nsteps && done >= 0; i++) {
		struct stamp st;
		if (stamp_read(workdir, set->steps[i].id, &st) < 0)
			continue;
		bool removing = !strcmp(st.result, "removing");
		stamp_free(&st);
		if (!removing)
			continue;
		fprintf(out, "lfsbuild: completing the removal of %s, interrupted last time\n", set->steps[i].id);
		fflush(out);
		done = remove_step(workdir, root, set, set->steps[i].id, false, out) == 0 ? done + 1 : -1;
	}
	return done;
}
