/* pkgdb: the captured steps' file lists together, in the order of their merges; the root's
 * regular files by the step that wrote each last. */
#include "engine/pkgdb.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "book/recipe.h"
#include "engine/capture.h"
#include "packages/filelist.h"
#include "state/state.h"

/* A list written this long before its step's stamp says the step started is from an earlier
 * build (file times are coarser than the stamps' clock). */
#define STALE_SLACK 0.05

/* ---- reading the lists ---- */

/* One entry line of a list (packages/filelist's reader, the one parser of the format) into e. */
static int parse_entry(char *line, struct pkg_entry *e)
{
	struct filelist_entry fe;
	if (!filelist_parse_line(line, &fe))
		return -1;
	static const char *const whats[] = {"new", "changed", "replaced", "deleted"};
	e->what = 0;
	for (size_t k = 0; k < ARRAY_LEN(whats); k++)
		if (!strcmp(fe.what, whats[k]))
			e->what = "ncrd"[k];
	if (!e->what || strlen(fe.sha256) > 64)
		return -1;
	e->type = fe.type;
	e->mode = fe.mode;
	e->uid = (unsigned)fe.uid;
	e->gid = (unsigned)fe.gid;
	e->size = fe.size;
	strcpy(e->sha256, fe.sha256);
	e->target = xstrdup(fe.target);
	e->path = xstrdup(fe.path);
	return 0;
}

/* Read list `l->file` into l. 0, or -1 with "FILE:LINE: ..." in errbuf. */
static int read_list(struct pkg_list *l, char *errbuf, size_t errlen)
{
	char *text = read_file(l->file, NULL);
	if (!text)
		return set_error(errbuf, errlen, "cannot read %s: %s", l->file, strerror(errno));
	size_t cap = 0;
	int lineno = 0, rc = 0;
	l->captured = true;
	for (char *line = text, *nl; *line && rc == 0; line = nl ? nl + 1 : line + strlen(line)) {
		nl = strchr(line, '\n');
		if (nl)
			*nl = '\0';
		lineno++;
		if (line[0] == '#') {
			if (lineno == 1 && strstr(line, ": not captured"))
				l->captured = false;
			continue;
		}
		if (!*line)
			continue;
		if (l->n == cap) {
			cap = cap ? 2 * cap : 64;
			l->e = xrealloc(l->e, cap * sizeof *l->e);
		}
		if (parse_entry(line, &l->e[l->n]) < 0)
			rc = set_error(errbuf, errlen, "%s:%d: not a line of a file list (what type mode uid gid size sha256 "
			               "target path, tab-separated)", l->file, lineno);
		else
			l->n++;
		if (!nl)
			break;
	}
	free(text);
	return rc;
}

/* The step's stamp: its result and start, and so whether the list is stale or removed. */
static void read_stamp(struct pkg_list *l, const char *workdir)
{
	struct stamp st;
	if (stamp_read(workdir, l->id, &st) < 0) {
		l->stale = true;
		return;
	}
	l->result = xstrdup(st.result);
	l->stamp_start = st.start;
	l->removed = !strcmp(st.result, "removed") || !strcmp(st.result, "removing");
	bool success = !strcmp(st.result, "ok") || l->removed;
	l->stale = success && st.start > l->mtime + STALE_SLACK;
	stamp_free(&st);
}

static int cmp_merge_order(const void *a, const void *b)
{
	const struct pkg_list *x = a, *y = b;
	if (x->mtime != y->mtime)
		return x->mtime < y->mtime ? -1 : 1;
	return x->book_index < y->book_index ? -1 : x->book_index > y->book_index;
}

/* ---- the index of paths ---- */

static uint64_t hash_path(const char *s)
{
	uint64_t h = 1469598103934665603ULL;
	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 1099511628211ULL;
	return h;
}

const struct pkg_entry *pkgdb_entry(const struct pkgdb *db, int32_t ref)
{
	const struct pkg_ref *r = &db->refs[ref];
	return &db->lists[r->list].e[r->entry];
}

/* The slot of `path`: the one holding its refs, or the empty one where they would go. */
static size_t slot_of(const struct pkgdb *db, const char *path)
{
	size_t mask = db->nslots - 1, k = (size_t)hash_path(path) & mask;
	while (db->slots[k] >= 0 && strcmp(pkgdb_entry(db, db->slots[k])->path, path))
		k = (k + 1) & mask;
	return k;
}

static void build_index(struct pkgdb *db)
{
	size_t total = 0;
	for (size_t i = 0; i < db->n; i++)
		total += db->lists[i].n;
	db->nslots = 16;
	while (db->nslots < 2 * total + 1)
		db->nslots *= 2;
	db->slots = xmalloc(db->nslots * sizeof *db->slots);
	for (size_t k = 0; k < db->nslots; k++)
		db->slots[k] = -1;
	db->refs = xcalloc(total + 1, sizeof *db->refs);
	for (size_t i = 0; i < db->n; i++)
		for (size_t j = 0; j < db->lists[i].n; j++) {
			size_t k = slot_of(db, db->lists[i].e[j].path);
			db->refs[db->nrefs] = (struct pkg_ref){(uint32_t)i, (uint32_t)j, db->slots[k]};
			db->slots[k] = (int32_t)db->nrefs++;
		}
}

int32_t pkgdb_first(const struct pkgdb *db, const char *path)
{
	return db->nslots ? db->slots[slot_of(db, path)] : -1;
}

int pkgdb_load(struct pkgdb *db, const char *workdir, const struct recipe_set *set, char *errbuf, size_t errlen)
{
	memset(db, 0, sizeof *db);
	db->lists = xcalloc(set->nsteps + 1, sizeof *db->lists);
	int rc = 0;
	for (size_t i = 0; i < set->nsteps && rc == 0; i++) {
		char *file = capture_list_path(workdir, set->steps[i].id);
		struct stat st;
		if (stat(file, &st) < 0) {
			free(file);
			continue;
		}
		struct pkg_list *l = &db->lists[db->n++];
		l->id = xstrdup(set->steps[i].id);
		l->file = file;
		l->book_index = i;
		l->mtime = (double)st.st_mtim.tv_sec + st.st_mtim.tv_nsec / 1e9;
		rc = read_list(l, errbuf, errlen);
		read_stamp(l, workdir);
	}
	if (rc == 0 && db->n)
		qsort(db->lists, db->n, sizeof *db->lists, cmp_merge_order);
	if (rc == 0)
		build_index(db);
	else
		pkgdb_free(db);
	return rc;
}

void pkgdb_free(struct pkgdb *db)
{
	for (size_t i = 0; i < db->n; i++) {
		struct pkg_list *l = &db->lists[i];
		for (size_t j = 0; j < l->n; j++) {
			free(l->e[j].target);
			free(l->e[j].path);
		}
		free(l->e);
		free(l->id);
		free(l->file);
		free(l->result);
	}
	free(db->lists);
	free(db->refs);
	free(db->slots);
	memset(db, 0, sizeof *db);
}

bool pkgdb_counts(const struct pkgdb *db, size_t i)
{
	const struct pkg_list *l = &db->lists[i];
	return l->captured && !l->stale && !l->removed;
}

ssize_t pkgdb_find_list(const struct pkgdb *db, const char *id)
{
	for (size_t i = 0; i < db->n; i++)
		if (!strcmp(db->lists[i].id, id))
			return (ssize_t)i;
	return -1;
}

/* ---- the root's regular files by step ---- */

/* Inodes with several names met so far (open addressing on dev and inode). */
struct inode_set {
	uint64_t *keys;         /* 0: empty (a real key is made non-zero) */
	size_t cap, n;
};

/* Add dev:ino; false if it was there already. */
static bool inode_add(struct inode_set *s, dev_t dev, ino_t ino)
{
	if (2 * (s->n + 1) > s->cap) {
		struct inode_set bigger = {xcalloc(s->cap ? 2 * s->cap : 1024, sizeof(uint64_t)), s->cap ? 2 * s->cap : 1024, 0};
		for (size_t k = 0; k < s->cap; k++)
			if (s->keys[k]) {
				size_t q = (size_t)(s->keys[k] * 0x9E3779B97F4A7C15ULL) & (bigger.cap - 1);
				while (bigger.keys[q])
					q = (q + 1) & (bigger.cap - 1);
				bigger.keys[q] = s->keys[k];
				bigger.n++;
			}
		free(s->keys);
		*s = bigger;
	}
	uint64_t key = ((uint64_t)ino ^ ((uint64_t)dev << 48) ^ ((uint64_t)dev >> 16)) | 1ULL << 63;
	size_t q = (size_t)(key * 0x9E3779B97F4A7C15ULL) & (s->cap - 1);
	while (s->keys[q] && s->keys[q] != key)
		q = (q + 1) & (s->cap - 1);
	if (s->keys[q])
		return false;
	s->keys[q] = key;
	s->n++;
	return true;
}

struct walk {
	const struct pkgdb *db;
	struct pkg_usage *u;
	struct inode_set seen;
};

/* The list that counts and names `rel` last, when it says a regular file there; else -1. */
static ssize_t file_owner(const struct pkgdb *db, const char *rel)
{
	for (int32_t r = pkgdb_first(db, rel); r >= 0; r = db->refs[r].next) {
		if (!pkgdb_counts(db, db->refs[r].list))
			continue;
		return pkgdb_entry(db, r)->type == 'f' ? (ssize_t)db->refs[r].list : -1;
	}
	return -1;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static int usage_walk(struct walk *w, int dirfd, const char *prefix)
{
	int dup = openat(dirfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	DIR *d = dup >= 0 ? fdopendir(dup) : NULL;
	if (!d) {
		if (dup >= 0)
			close(dup);
		return -1;
	}
	struct strv names = {0};
	struct dirent *e;
	while ((e = readdir(d)))
		if (strcmp(e->d_name, ".") && strcmp(e->d_name, ".."))
			strv_add(&names, e->d_name);
	closedir(d);
	if (names.n)
		qsort(names.v, names.n, sizeof *names.v, cmp_str);
	int rc = 0;
	for (size_t k = 0; k < names.n && rc == 0; k++) {
		struct stat st;
		if (fstatat(dirfd, names.v[k], &st, AT_SYMLINK_NOFOLLOW) < 0)
			continue;   /* gone meanwhile (a build merging) */
		char *rel = *prefix ? xasprintf("%s/%s", prefix, names.v[k]) : xstrdup(names.v[k]);
		if (S_ISDIR(st.st_mode)) {
			int sub = openat(dirfd, names.v[k], O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
			if (sub >= 0) {
				rc = usage_walk(w, sub, rel);
				close(sub);
			}
		} else if (S_ISREG(st.st_mode) && (st.st_nlink < 2 || inode_add(&w->seen, st.st_dev, st.st_ino))) {
			unsigned long long size = (unsigned long long)st.st_size;
			ssize_t owner = file_owner(w->db, rel);
			if (owner >= 0) {
				w->u->bytes[owner] += size;
				w->u->files[owner]++;
			} else {
				w->u->other_bytes += size;
				w->u->other_files++;
			}
			w->u->total_bytes += size;
			w->u->total_files++;
		}
		free(rel);
	}
	strv_free(&names);
	return rc;
}

int pkgdb_usage(const struct pkgdb *db, const char *root, struct pkg_usage *u, char *errbuf, size_t errlen)
{
	memset(u, 0, sizeof *u);
	u->bytes = xcalloc(db->n + 1, sizeof *u->bytes);
	u->files = xcalloc(db->n + 1, sizeof *u->files);
	int fd = open(root, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return set_error(errbuf, errlen, "cannot open the root %s: %s", root, strerror(errno));
	struct walk w = {db, u, {0}};
	int rc = usage_walk(&w, fd, "");
	if (rc < 0)
		set_error(errbuf, errlen, "cannot read a directory of %s: %s", root, strerror(errno));
	close(fd);
	free(w.seen.keys);
	return rc;
}

void pkg_usage_free(struct pkg_usage *u)
{
	free(u->bytes);
	free(u->files);
	memset(u, 0, sizeof *u);
}
