/* filemap: the lists replayed, then checked against the root (provenance/filemap.h). */
#include "provenance/filemap.h"

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "book/recipe.h"
#include "engine/pkgdb.h"
#include "lib/util.h"
#include "sources/digest.h"

/* ---- a map from a path (or a prefix of one, by length) to a number ---- */

struct pathmap {
	char **keys;
	long *vals;
	size_t cap, n;
};

static uint64_t hash_bytes(const char *s, size_t len)
{
	uint64_t h = 1469598103934665603ULL;
	for (size_t k = 0; k < len; k++)
		h = (h ^ (unsigned char)s[k]) * 1099511628211ULL;
	return h;
}

/* The slot of `key` (its first `len` bytes), or NULL when it is absent and !create. */
static long *pathmap_slot(struct pathmap *m, const char *key, size_t len, bool create)
{
	if (create && (m->n + 1) * 2 > m->cap) {
		struct pathmap bigger = {xcalloc(m->cap ? m->cap * 2 : 1024, sizeof(char *)), NULL, m->cap ? m->cap * 2 : 1024, 0};
		bigger.vals = xcalloc(bigger.cap, sizeof(long));
		for (size_t k = 0; k < m->cap; k++)
			if (m->keys[k]) {
				size_t at = hash_bytes(m->keys[k], strlen(m->keys[k])) & (bigger.cap - 1);
				while (bigger.keys[at])
					at = (at + 1) & (bigger.cap - 1);
				bigger.keys[at] = m->keys[k];
				bigger.vals[at] = m->vals[k];
			}
		bigger.n = m->n;
		free(m->keys);
		free(m->vals);
		*m = bigger;
	}
	if (!m->cap)
		return NULL;
	size_t at = hash_bytes(key, len) & (m->cap - 1);
	for (; m->keys[at]; at = (at + 1) & (m->cap - 1))
		if (!strncmp(m->keys[at], key, len) && m->keys[at][len] == '\0')
			return &m->vals[at];
	if (!create)
		return NULL;
	m->keys[at] = xstrndup(key, len);
	m->n++;
	m->vals[at] = -1;
	return &m->vals[at];
}

static long pathmap_get(struct pathmap *m, const char *key, size_t len)
{
	long *v = pathmap_slot(m, key, len, false);
	return v ? *v : -1;
}

static void pathmap_max(struct pathmap *m, const char *key, long v)
{
	long *slot = pathmap_slot(m, key, strlen(key), true);
	if (*slot < v)
		*slot = v;
}

static void pathmap_free(struct pathmap *m)
{
	for (size_t k = 0; k < m->cap; k++)
		free(m->keys[k]);
	free(m->keys);
	free(m->vals);
	memset(m, 0, sizeof *m);
}

/* ---- the replay ---- */

struct event {
	struct owned_file f;
	size_t step;
	long seq;
};

struct replay {
	struct event *ev;
	size_t nev, cap;
	struct pathmap last;        /* path -> index of the event that last put a file or link there */
	struct pathmap gone_at;     /* path -> seq of the last removal of what is at the path */
	struct pathmap gone_below;  /* path -> seq of the last removal of everything below the path */
	long seq;
};

static void owned_file_free(struct owned_file *f)
{
	free(f->path);
	free(f->target);
}

/* One entry of a list (what: 'n'ew, 'c'hanged, 'r'eplaced, 'd'eleted). */
static void replay_entry(struct replay *rp, size_t step, const struct pkg_entry *pe)
{
	const char *path = pe->path;
	long seq = ++rp->seq;
	if (pe->what == 'd' || pe->what == 'r') {
		pathmap_max(&rp->gone_at, path, seq);
		pathmap_max(&rp->gone_below, path, seq);
		return;
	}
	if (pe->type == 'd') {
		pathmap_max(&rp->gone_at, path, seq);   /* a directory where a file was */
		return;
	}
	pathmap_max(&rp->gone_below, path, seq);    /* something else where a directory was */
	if (pe->type != 'f' && pe->type != 'l')
		return;                                 /* devices, FIFOs, sockets: no files of a package */
	if (rp->nev == rp->cap) {
		rp->cap = rp->cap ? rp->cap * 2 : 1024;
		rp->ev = xrealloc(rp->ev, rp->cap * sizeof *rp->ev);
	}
	struct event *e = &rp->ev[rp->nev];
	memset(e, 0, sizeof *e);
	e->step = step;
	e->seq = seq;
	e->f.path = xstrdup(path);
	e->f.type = pe->type;
	e->f.mode = pe->mode;
	e->f.uid = pe->uid;
	e->f.gid = pe->gid;
	e->f.size = pe->size;
	if (pe->type == 'f' && digest_hex_ok(pe->sha256, 64))
		memcpy(e->f.sha256, pe->sha256, 65);
	if (pe->type == 'l')
		e->f.target = xstrdup(pe->target);
	*pathmap_slot(&rp->last, path, strlen(path), true) = (long)rp->nev++;
}

/* Every list that describes the root (pkgdb_counts), in the order of the merges; each step's
 * out->known. */
static void replay_lists(struct replay *rp, const struct pkgdb *db, struct step_files *out)
{
	for (size_t i = 0; i < db->n; i++) {
		const struct pkg_list *l = &db->lists[i];
		struct step_files *sf = &out[l->book_index];
		sf->known = !l->captured ? FILES_NOT_CAPTURED : l->removed ? FILES_REMOVED : l->stale ? FILES_STALE
		                                                                                   : FILES_LISTED;
		if (!pkgdb_counts(db, i))
			continue;
		for (size_t k = 0; k < l->n; k++)
			replay_entry(rp, l->book_index, &l->e[k]);
	}
}

/* Is the file of event `e` still there at the end: no removal of its path, nor of a directory
 * above it, after it was put there? */
static bool alive(struct replay *rp, const struct event *e)
{
	const char *p = e->f.path;
	if (pathmap_get(&rp->gone_at, p, strlen(p)) > e->seq)
		return false;
	for (const char *s = strchr(p, '/'); s; s = strchr(s + 1, '/'))
		if (pathmap_get(&rp->gone_below, p, (size_t)(s - p)) > e->seq)
			return false;
	return true;
}

static int by_path(const void *a, const void *b)
{
	return strcmp(((const struct owned_file *)a)->path, ((const struct owned_file *)b)->path);
}

/* Each event that is the last at its path and still there goes to its step; the others count as
 * gone for theirs. */
static void distribute(struct replay *rp, struct step_files *out)
{
	for (size_t k = 0; k < rp->nev; k++) {
		struct event *e = &rp->ev[k];
		const char *p = e->f.path;
		if (pathmap_get(&rp->last, p, strlen(p)) != (long)k || !alive(rp, e)) {
			out[e->step].gone++;
			owned_file_free(&e->f);
			continue;
		}
		struct step_files *sf = &out[e->step];
		sf->v = xrealloc(sf->v, (sf->n + 1) * sizeof *sf->v);
		sf->v[sf->n++] = e->f;
	}
}

/* ---- the root ---- */

/* The directory `rel` ("a/b", "" for the root) below `rootfd`, each component opened with
 * O_NOFOLLOW: a fd, or -1 with errno (ELOOP, ENOTDIR: not a directory there any more). */
static int open_dir_below(int rootfd, const char *rel)
{
	int fd = dup(rootfd);
	char *copy = xstrdup(rel), *save = NULL;
	for (char *c = strtok_r(copy, "/", &save); c && fd >= 0; c = strtok_r(NULL, "/", &save)) {
		int next = openat(fd, c, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		int e = errno;
		close(fd);
		fd = next;
		errno = e;
	}
	free(copy);
	return fd;
}

/* The content's sha256 of the regular file `name` in `dirfd`, opened without following a link
 * and checked to be the inode `st` described. 0, or -1 with errno. */
static int hash_below(int dirfd, const char *name, const struct stat *st, char *hex)
{
	int fd = openat(dirfd, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
	struct stat now;
	if (fd < 0)
		return -1;
	if (fstat(fd, &now) < 0 || now.st_ino != st->st_ino || now.st_dev != st->st_dev || !S_ISREG(now.st_mode)) {
		close(fd);
		errno = EAGAIN;
		return -1;
	}
	struct digest d;
	if (digest_init(&d, true, false) < 0) {
		close(fd);
		errno = EIO;
		return -1;
	}
	char buf[1 << 16];
	ssize_t n;
	while ((n = read(fd, buf, sizeof buf)) != 0) {
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			int e = errno;
			digest_abort(&d);
			close(fd);
			errno = e;
			return -1;
		}
		digest_update(&d, buf, (size_t)n);
	}
	digest_final(&d, hex, NULL);
	close(fd);
	return 0;
}

/* Look at file `f` in the directory `dirfd` of the root: 1 when it is there as listed, 2 when it
 * is there but differs (its values are then the root's; the list's sha256 is kept), 0 when it is
 * not there any more (or no longer a file or link), -1 with the reason in errbuf. */
static int check_one(int dirfd, struct owned_file *f, char *errbuf, size_t errlen)
{
	const char *slash = strrchr(f->path, '/'), *name = slash ? slash + 1 : f->path;
	struct stat st;
	if (fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
		return errno == ENOENT || errno == ENOTDIR ? 0 : set_error(errbuf, errlen, "cannot look at /%s in the root: %s",
		                                                           f->path, strerror(errno));
	if (!S_ISREG(st.st_mode) && !S_ISLNK(st.st_mode))
		return 0;
	char type = S_ISREG(st.st_mode) ? 'f' : 'l', sha[65] = "";
	char *target = NULL;
	if (type == 'f' && hash_below(dirfd, name, &st, sha) < 0)
		return set_error(errbuf, errlen, "cannot read /%s in the root: %s", f->path, strerror(errno));
	if (type == 'l') {
		char buf[4096];
		ssize_t n = readlinkat(dirfd, name, buf, sizeof buf - 1);
		if (n < 0)
			return set_error(errbuf, errlen, "cannot read the link /%s in the root: %s", f->path, strerror(errno));
		target = xstrndup(buf, (size_t)n);
	}
	bool differs = type != f->type || (type == 'f' && strcmp(sha, f->sha256)) ||
	               (type == 'l' && (!f->target || strcmp(target, f->target)));
	f->listed_sha256[0] = '\0';
	if (differs && f->type == 'f' && digest_hex_ok(f->sha256, 64))
		memcpy(f->listed_sha256, f->sha256, sizeof f->sha256);
	memcpy(f->sha256, sha, sizeof sha);
	free(f->target);
	f->target = target;
	f->type = type;
	f->mode = st.st_mode & 07777;
	f->uid = st.st_uid;
	f->gid = st.st_gid;
	f->size = type == 'f' ? (unsigned long long)st.st_size : 0;
	return differs ? 2 : 1;
}

/* Check the files of one step against the root; those not there any more are dropped. On an
 * error every entry left in sf is valid (the caller frees them). */
static int check_step(int rootfd, struct step_files *sf, char *errbuf, size_t errlen)
{
	char *dir = NULL;
	int dirfd = -1, rcode = 0;
	size_t kept = 0, k;
	for (k = 0; k < sf->n; k++) {
		struct owned_file *f = &sf->v[k];
		const char *slash = strrchr(f->path, '/');
		size_t dlen = slash ? (size_t)(slash - f->path) : 0;
		if (!dir || strlen(dir) != dlen || strncmp(dir, f->path, dlen)) {
			if (dirfd >= 0)
				close(dirfd);
			free(dir);
			dir = xstrndup(f->path, dlen);
			dirfd = open_dir_below(rootfd, dir);
			if (dirfd < 0 && errno != ENOENT && errno != ENOTDIR && errno != ELOOP) {
				rcode = set_error(errbuf, errlen, "cannot open /%s in the root: %s", dir, strerror(errno));
				break;
			}
		}
		int r = dirfd < 0 ? 0 : check_one(dirfd, f, errbuf, errlen);
		if (r < 0) {
			rcode = -1;
			break;
		}
		if (r == 0) {
			sf->gone++;
			owned_file_free(f);
			continue;
		}
		sf->changed += r == 2;
		sf->v[kept++] = *f;
	}
	/* what was not looked at (after an error) moves down behind what was kept */
	if (k < sf->n)
		memmove(sf->v + kept, sf->v + k, (sf->n - k) * sizeof *sf->v);
	sf->n = kept + (sf->n - k);
	if (dirfd >= 0)
		close(dirfd);
	free(dir);
	return rcode;
}

int filemap_build(const char *workdir, const struct recipe_set *set, const char *root, struct step_files *out,
                  char *errbuf, size_t errlen)
{
	memset(out, 0, set->nsteps * sizeof *out);
	struct pkgdb db;
	if (pkgdb_load(&db, workdir, set, errbuf, errlen) < 0)
		return -1;
	struct replay rp = {0};
	int rcode = 0;
	replay_lists(&rp, &db, out);
	pkgdb_free(&db);
	distribute(&rp, out);
	free(rp.ev);
	pathmap_free(&rp.last);
	pathmap_free(&rp.gone_at);
	pathmap_free(&rp.gone_below);
	for (size_t i = 0; i < set->nsteps && rcode == 0; i++)
		if (out[i].n > 1)
			qsort(out[i].v, out[i].n, sizeof *out[i].v, by_path);
	int rootfd = rcode == 0 && root ? open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC) : -1;
	if (rcode == 0 && root && rootfd < 0)
		rcode = set_error(errbuf, errlen, "cannot open the root %s: %s", root, strerror(errno));
	for (size_t i = 0; i < set->nsteps && rcode == 0 && rootfd >= 0; i++)
		rcode = check_step(rootfd, &out[i], errbuf, errlen);
	if (rootfd >= 0)
		close(rootfd);
	if (rcode < 0)
		filemap_free(out, set->nsteps);
	return rcode;
}

void filemap_free(struct step_files *f, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		for (size_t k = 0; k < f[i].n; k++)
			owned_file_free(&f[i].v[k]);
		free(f[i].v);
		memset(&f[i], 0, sizeof f[i]);
	}
}
