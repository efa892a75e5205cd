/* fetch: providers, downloads (libcurl, up to 4 at once), checksums while the bytes stream in,
 * extraction of a member (libarchive), progress and the summary. */
#include "sources/fetch.h"

#include <archive.h>
#include <archive_entry.h>
#include <curl/curl.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "sources/apt.h"
#include "sources/cache.h"
#include "sources/digest.h"

#define MAX_PARALLEL 4

const char *provider_name(enum provider p)
{
	static const char *names[] = {"cache", "mirror-dir", "mirror", "upstream", "debian"};
	return p <= PROV_DEBIAN ? names[p] : "?";
}

/* ---- the plan ---- */

static void plan_add(struct plan *p, enum provider kind, const struct origin *o, char *where)
{
	for (size_t i = 0; i < p->n; i++)
		if (!strcmp(p->a[i].where, where)) {
			free(where);
			return;
		}
	p->a = xrealloc(p->a, (p->n + 1) * sizeof *p->a);
	p->a[p->n++] = (struct attempt){kind, o, where};
}

static char *url_join(const char *base, const char *rest)
{
	size_t n = strlen(base);
	while (n && base[n - 1] == '/')
		n--;
	return xasprintf("%.*s/%s", (int)n, base, rest);
}

void fetch_plan(const struct fetch_places *pl, const struct source *src, struct plan *out)
{
	memset(out, 0, sizeof *out);
	for (size_t i = 0; i < src->norigins; i++)
		plan_add(out, PROV_CACHE, &src->origins[i], path_join(pl->cache, src->origins[i].file));
	for (size_t d = 0; pl->mirror_dirs && d < pl->mirror_dirs->n; d++)
		for (size_t i = 0; i < src->norigins; i++)
			plan_add(out, PROV_MIRROR_DIR, &src->origins[i],
			         path_join(pl->mirror_dirs->v[d], src->origins[i].file));
	for (size_t m = 0; pl->mirrors && m < pl->mirrors->n; m++)
		for (size_t i = 0; i < src->norigins; i++)
			plan_add(out, PROV_MIRROR, &src->origins[i], url_join(pl->mirrors->v[m], src->origins[i].file));
	for (size_t i = 0; i < src->norigins; i++) {
		const struct origin *o = &src->origins[i];
		if (o->kind == ORIGIN_UPSTREAM)
			plan_add(out, PROV_UPSTREAM, o, xstrdup(o->url));
		else
			for (size_t m = 0; pl->apt_uris && m < pl->apt_uris->n; m++)
				plan_add(out, PROV_DEBIAN, o, url_join(pl->apt_uris->v[m], o->url));
	}
}

void fetch_plan_free(struct plan *p)
{
	for (size_t i = 0; i < p->n; i++)
		free(p->a[i].where);
	free(p->a);
	memset(p, 0, sizeof *p);
}

void fetch_places_init(const struct config *cfg, struct fetch_places *pl, struct strv *apt)
{
	const char *root = getenv("LFSBUILD_APT_ROOT");
	apt_mirror_uris(root && *root ? root : "", apt);
	pl->cache = cfg->sources;
	pl->mirror_dirs = &cfg->mirror_dirs;
	pl->mirrors = &cfg->mirrors;
	pl->apt_uris = apt;
}

static struct want origin_want(const struct origin *o)
{
	return (struct want){o->sha256, o->md5};
}

static struct want member_want(const struct origin *o)
{
	return (struct want){o->extract_sha256, NULL};
}

/* ---- the state of a source, without network and without reading files ---- */

void fetch_source_state(const struct fetch_places *pl, const struct source *src, struct source_state *st)
{
	memset(st, 0, sizeof *st);
	/* A verified file of any origin first, then any file present. */
	for (int pass = 0; pass < 2; pass++)
		for (size_t i = 0; i < src->norigins; i++) {
			const struct origin *o = &src->origins[i];
			struct want w = o->extract ? member_want(o) : origin_want(o);
			enum cache_state cs = cache_check(pl->cache, origin_unpack_file(o), &w, CACHE_STAMP_ONLY, NULL, NULL);
			if (cs == CACHE_OK || (pass == 1 && cs == CACHE_UNVERIFIED)) {
				st->origin = o;
				st->file = origin_unpack_file(o);
				st->from = PROV_CACHE;
				st->cached = true;
				st->verified = cs == CACHE_OK;
				st->where = path_join(pl->cache, st->file);
				return;
			}
		}
	struct plan p;
	fetch_plan(pl, src, &p);
	const struct attempt *pick = NULL;
	for (size_t i = 0; i < p.n && !pick; i++) {
		const struct attempt *a = &p.a[i];
		if (a->kind == PROV_CACHE)
			continue;
		if (a->kind != PROV_MIRROR_DIR || path_exists(a->where))
			pick = a;
	}
	if (pick) {
		st->origin = pick->origin;
		st->from = pick->kind;
		st->where = xstrdup(pick->where);
	} else if (src->norigins) {
		st->origin = &src->origins[0];
		st->from = src->origins[0].kind == ORIGIN_DEBIAN ? PROV_DEBIAN : PROV_UPSTREAM;
	}
	if (st->origin)
		st->file = origin_unpack_file(st->origin);
	fetch_plan_free(&p);
}

/* ---- fetch_resolve ---- */

int fetch_resolve(const struct config *cfg, const struct source *src, char **path, char **sha256)
{
	*path = *sha256 = NULL;
	struct buf why = {0};
	const char *bad_file = NULL;
	for (size_t i = 0; i < src->norigins; i++) {
		const struct origin *o = &src->origins[i];
		const char *file = origin_unpack_file(o);
		struct want w = o->extract ? member_want(o) : origin_want(o);
		char sha[65];
		struct buf reason = {0};
		enum cache_state cs = cache_check(cfg->sources, file, &w, CACHE_HASH_NEEDED, sha, &reason);
		if (cs == CACHE_OK) {
			*path = path_join(cfg->sources, file);
			*sha256 = xstrdup(sha);
			buf_free(&reason);
			buf_free(&why);
			return 0;
		}
		if (cs == CACHE_MISMATCH && !bad_file) {
			bad_file = file;
			buf_puts(&why, reason.data ? reason.data : "");
		}
		buf_free(&reason);
	}
	if (bad_file)
		errorf("source '%s': the cached %s/%s does not match the manifest (%s): it was changed since it was "
		       "verified, and no step will unpack it; run `lfsbuild fetch %s` to fetch it again (`lfsbuild fetch "
		       "--verify` rechecks every cached file)",
		       src->name, cfg->sources, bad_file, why.data, src->name);
	else
		errorf("source '%s' is not in the source cache %s; run `lfsbuild fetch %s` (or `lfsbuild fetch` for "
		       "all sources)",
		       src->name, cfg->sources, src->name);
	buf_free(&why);
	return -1;
}

/* ---- the run: jobs, output, progress ---- */

struct job {
	const struct source *src;
	bool ok, fetched, cached, refetched;
	const char *file;           /* the file the recipe unpacks */
	char *from;                 /* where it came from this run */
	struct buf failures;        /* "  where: why\n" per failed provider */
	unsigned long long now, total;  /* bytes of the transfer in progress */
	bool active;
};

struct run {
	const struct config *cfg;
	struct fetch_places pl;
	struct strv apt;
	long connect_timeout, stall_time;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	struct job *jobs;
	size_t n, next, done;
	unsigned long long bytes;   /* downloaded in this run */
	double t0;
	struct strv bad_hosts;      /* "scheme://host:port\treason": did not answer; skipped after */
	bool tty, stop;
	int status_shown;
};

static void status_clear(struct run *r)
{
	if (r->tty && r->status_shown) {
		fputs("\r\033[K", stderr);
		r->status_shown = 0;
	}
}

static void status_draw(struct run *r)
{
	if (!r->tty || r->stop)
		return;
	struct winsize ws;
	int width = ioctl(STDERR_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 20 ? ws.ws_col : 80;
	double dt = now_mono() - r->t0;
	struct buf b = {0};
	buf_printf(&b, "fetch: %zu/%zu done, %s", r->done, r->n, fmt_bytes((double)r->bytes));
	if (dt > 0.5)
		buf_printf(&b, ", %s/s", fmt_bytes((double)r->bytes / dt));
	for (size_t i = 0; i < r->n; i++)
		if (r->jobs[i].active) {
			buf_printf(&b, "  %s", r->jobs[i].src->name);
			if (r->jobs[i].total)
				buf_printf(&b, " %d%%", (int)(100.0 * (double)r->jobs[i].now / (double)r->jobs[i].total));
		}
	if (b.len > (size_t)width - 1)
		b.data[width - 1] = '\0';
	fprintf(stderr, "\r\033[K%s", b.data);
	fflush(stderr);
	r->status_shown = 1;
	buf_free(&b);
}

/* One line of output: to `out`, above the progress line. */
static void say(struct run *r, FILE *out, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void say(struct run *r, FILE *out, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	char *msg = xvasprintf(fmt, ap);
	va_end(ap);
	pthread_mutex_lock(&r->mu);
	status_clear(r);
	fflush(stdout);
	fprintf(out, "%s\n", msg);
	fflush(out);
	status_draw(r);
	pthread_mutex_unlock(&r->mu);
	free(msg);
}

/* A provider failed: one line now (unless -q), and kept for the summary. */
static void provider_failed(struct run *r, struct job *j, const char *where, const char *why)
{
	pthread_mutex_lock(&r->mu);
	buf_printf(&j->failures, "    %s: %s\n", where, why);
	pthread_mutex_unlock(&r->mu);
	if (!r->cfg->quiet)
		say(r, stderr, "lfsbuild: %s: %s: %s", j->src->name, where, why);
}

static char *url_host(const char *url)
{
	const char *p = strstr(url, "://");
	if (!p)
		return NULL;
	p += 3;
	return xstrndup(url, (size_t)(p - url) + strcspn(p, "/"));
}

static const char *host_is_bad(struct run *r, const char *url)
{
	char *h = url_host(url);
	const char *why = NULL;
	if (!h)
		return NULL;
	size_t n = strlen(h);
	pthread_mutex_lock(&r->mu);
	for (size_t i = 0; i < r->bad_hosts.n && !why; i++)
		if (!strncmp(r->bad_hosts.v[i], h, n) && r->bad_hosts.v[i][n] == '\t')
			why = r->bad_hosts.v[i] + n + 1;
	pthread_mutex_unlock(&r->mu);
	free(h);
	return why;
}

static void host_mark_bad(struct run *r, const char *url, const char *why)
{
	char *h = url_host(url);
	if (!h)
		return;
	pthread_mutex_lock(&r->mu);
	strv_push(&r->bad_hosts, xasprintf("%s\t%s", h, why));
	pthread_mutex_unlock(&r->mu);
	free(h);
}

/* ---- transfers: bytes go to the .part and through the digests ---- */

struct sink {
	struct run *r;
	struct job *j;
	int fd;
	struct digest d;
	int werr;
	bool local;     /* taken out of a file already here: not counted as downloaded */
};

static int sink_write(struct sink *s, const char *p, size_t n)
{
	size_t left = n;
	while (left) {
		ssize_t w = write(s->fd, p, left);
		if (w < 0) {
			if (errno == EINTR)
				continue;
			s->werr = errno;
			return -1;
		}
		p += w;
		left -= (size_t)w;
	}
	digest_update(&s->d, p - n, n);
	pthread_mutex_lock(&s->r->mu);
	if (!s->local)
		s->r->bytes += n;
	s->j->now += n;
	pthread_mutex_unlock(&s->r->mu);
	return 0;
}

static size_t on_data(char *p, size_t size, size_t nmemb, void *user)
{
	struct sink *s = user;
	return sink_write(s, p, size * nmemb) < 0 ? 0 : size * nmemb;
}

static int on_progress(void *user, curl_off_t dltotal, curl_off_t dlnow, curl_off_t ult, curl_off_t uln)
{
	struct sink *s = user;
	pthread_mutex_lock(&s->r->mu);
	s->j->total = dltotal > 0 ? (unsigned long long)dltotal : 0;
	pthread_mutex_unlock(&s->r->mu);
	return 0;
}

/* A transfer of `url` with lfsbuild's settings: redirects, failure on an HTTP error, a connect
 * timeout, a stall limit (less than 1 KiB/s for `stall` seconds), the protocols allowed. The
 * data goes to `write(data, 1, n, user)`; curl's message to `err` (CURL_ERROR_SIZE). */
static CURL *easy_new(const char *url, char *err, curl_write_callback write, void *user, long connect_timeout,
                      long stall)
{
	CURL *c = curl_easy_init();
	if (!c)
		return NULL;
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_ERRORBUFFER, err);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, write);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, user);
	curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 1L);
	curl_easy_setopt(c, CURLOPT_MAXREDIRS, 10L);
	curl_easy_setopt(c, CURLOPT_FAILONERROR, 1L);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, connect_timeout);
	curl_easy_setopt(c, CURLOPT_LOW_SPEED_LIMIT, 1024L);
	curl_easy_setopt(c, CURLOPT_LOW_SPEED_TIME, stall);
	curl_easy_setopt(c, CURLOPT_BUFFERSIZE, 256L * 1024);
	curl_easy_setopt(c, CURLOPT_USERAGENT, "lfsbuild/" LFSBUILD_VERSION);
	curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https,ftp,file");
	curl_easy_setopt(c, CURLOPT_REDIR_PROTOCOLS_STR, "http,https,ftp");
	return c;
}

/* Why the transfer `c` ended with `rc` (not CURLE_OK), into `why`; `werr`: the errno of a failed
 * write, 0 if none. true when the host itself did not answer (the next URLs on it are skipped). */
static bool transfer_failure(CURL *c, CURLcode rc, const char *err, int werr, struct buf *why)
{
	long code = 0;
	curl_off_t connect_us = 0;
	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &code);
	curl_easy_getinfo(c, CURLINFO_CONNECT_TIME_T, &connect_us);
	const char *detail = err[0] ? err : curl_easy_strerror(rc);
	switch (rc) {
	case CURLE_HTTP_RETURNED_ERROR:
		buf_printf(why, "HTTP %ld", code);
		return false;
	case CURLE_COULDNT_RESOLVE_HOST:
		buf_printf(why, "host not found (%s)", detail);
		return true;
	case CURLE_COULDNT_CONNECT:
		buf_printf(why, "connection refused or host unreachable (%s)", detail);
		return true;
	case CURLE_OPERATION_TIMEDOUT:
		buf_printf(why, "timeout (%s)", detail);
		return connect_us == 0;
	case CURLE_PARTIAL_FILE:
		buf_printf(why, "truncated download (%s)", detail);
		return false;
	case CURLE_WRITE_ERROR:
		if (werr)
			buf_printf(why, "cannot write it: %s", strerror(werr));
		else
			buf_printf(why, "%s", detail);
		return false;
	case CURLE_FILE_COULDNT_READ_FILE:
		buf_printf(why, "not found (%s)", detail);
		return false;
	default:
		buf_printf(why, "%s", detail);
		return false;
	}
}

/* Download `url` into the sink; 0, or -1 with the reason in `why`. */
static int transfer_url(struct run *r, struct sink *s, const char *url, struct buf *why)
{
	char err[CURL_ERROR_SIZE] = "";
	CURL *c = easy_new(url, err, on_data, s, r->connect_timeout, r->stall_time);
	if (!c) {
		buf_puts(why, "libcurl could not start a transfer");
		return -1;
	}
	curl_easy_setopt(c, CURLOPT_XFERINFOFUNCTION, on_progress);
	curl_easy_setopt(c, CURLOPT_XFERINFODATA, s);
	curl_easy_setopt(c, CURLOPT_NOPROGRESS, 0L);
	CURLcode rc = curl_easy_perform(c);
	if (rc != CURLE_OK && transfer_failure(c, rc, err, s->werr, why))
		host_mark_bad(r, url, why->data);
	curl_easy_cleanup(c);
	return rc == CURLE_OK ? 0 : -1;
}

/* fetch_url's sink: the bytes to a file descriptor. */
struct fd_sink {
	int fd;
	int werr;
};

static size_t on_fd_data(char *p, size_t size, size_t nmemb, void *user)
{
	struct fd_sink *s = user;
	size_t n = size * nmemb, left = n;
	while (left) {
		ssize_t w = write(s->fd, p, left);
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0) {
			s->werr = errno;
			return 0;
		}
		p += w;
		left -= (size_t)w;
	}
	return n;
}

static long env_seconds(const char *name, long dflt)
{
	const char *v = getenv(name);
	if (!v || !*v)
		return dflt;
	char *end;
	long n = strtol(v, &end, 10);
	return *end || n < 1 ? dflt : n;
}

int fetch_url(const char *url, int fd, struct buf *why)
{
	char err[CURL_ERROR_SIZE] = "";
	struct fd_sink s = {fd, 0};
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != 0) {
		buf_puts(why, "libcurl could not start");
		return -1;
	}
	CURL *c = easy_new(url, err, on_fd_data, &s, env_seconds("LFSBUILD_FETCH_TIMEOUT", 5),
	                   env_seconds("LFSBUILD_FETCH_STALL", 20));
	int result = -1;
	if (!c) {
		buf_puts(why, "libcurl could not start a transfer");
	} else {
		CURLcode rc = curl_easy_perform(c);
		long code = 0;
		curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &code);
		if (rc == CURLE_OK)
			result = 0;
		else if ((rc == CURLE_HTTP_RETURNED_ERROR && (code == 404 || code == 410)) || rc == CURLE_FILE_COULDNT_READ_FILE)
			result = 1;
		else if (transfer_failure(c, rc, err, s.werr, why))
			result = -2;
		curl_easy_cleanup(c);
	}
	curl_global_cleanup();
	return result;
}

/* Copy a local file into the sink; 0, or -1 with the reason in `why`. */
static int transfer_file(struct sink *s, const char *path, struct buf *why)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		buf_printf(why, "cannot read it: %s", strerror(errno));
		return -1;
	}
	struct stat st;
	if (fstat(fd, &st) == 0)
		s->j->total = (unsigned long long)st.st_size;
	size_t cap = 1 << 20;
	char *chunk = xmalloc(cap);
	int r = 0;
	for (;;) {
		ssize_t n = read(fd, chunk, cap);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			buf_printf(why, "read error: %s", strerror(errno));
			r = -1;
			break;
		}
		if (n == 0)
			break;
		if (sink_write(s, chunk, (size_t)n) < 0) {
			buf_printf(why, "cannot write to the cache: %s", strerror(s->werr));
			r = -1;
			break;
		}
	}
	free(chunk);
	close(fd);
	return r;
}

/* ---- extraction of a member (the caller holds the outer file's lock) ---- */

static bool member_matches(const char *path, const char *member)
{
	while (str_starts(path, "./"))
		path += 2;
	if (!strcmp(path, member))
		return true;
	if (strchr(member, '/'))
		return false;
	/* A bare member name matches at any depth. */
	size_t a = strlen(path), b = strlen(member);
	return a > b && path[a - b - 1] == '/' && !strcmp(path + a - b, member);
}

static int extract_member(struct run *r, struct job *j, const struct origin *o)
{
	const char *dir = r->pl.cache;
	char *outer = path_join(dir, o->file);
	struct buf why = {0};
	struct archive *a = archive_read_new();
	archive_read_support_filter_all(a);
	archive_read_support_format_all(a);
	int result = -1, fd = -1;
	bool found = false;
	if (archive_read_open_filename(a, outer, 1 << 20) != ARCHIVE_OK) {
		buf_printf(&why, "cannot open it: %s", archive_error_string(a));
		goto out;
	}
	struct archive_entry *e;
	int rc;
	while ((rc = archive_read_next_header(a, &e)) == ARCHIVE_OK) {
		if (archive_entry_filetype(e) != AE_IFREG || !member_matches(archive_entry_pathname(e), o->extract))
			continue;
		found = true;
		fd = cache_part_open(dir, o->extract_file);
		if (fd < 0) {
			buf_printf(&why, "cannot create %s/%s.part: %s", dir, o->extract_file, strerror(errno));
			goto out;
		}
		struct sink s = {.r = r, .j = j, .fd = fd, .local = true};
		if (digest_init(&s.d, true, true) < 0) {
			buf_puts(&why, "libcrypto failed");
			goto out;
		}
		const void *block;
		size_t size;
		la_int64_t off;
		while ((rc = archive_read_data_block(a, &block, &size, &off)) == ARCHIVE_OK)
			if (lseek(fd, off, SEEK_SET) < 0 || sink_write(&s, block, size) < 0) {
				buf_printf(&why, "cannot write %s.part: %s", o->extract_file, strerror(s.werr ? s.werr : errno));
				digest_abort(&s.d);
				goto out;
			}
		if (rc != ARCHIVE_EOF) {
			buf_printf(&why, "read error: %s", archive_error_string(a));
			digest_abort(&s.d);
			goto out;
		}
		char sha[65], md5[33];
		digest_final(&s.d, sha, md5);
		struct want w = member_want(o);
		if (cache_compare(&w, sha, md5, &why) < 0)
			goto out;
		char *from = xasprintf("%s (member %s)", o->file, o->extract);
		int c = cache_part_commit(dir, o->extract_file, fd, sha, md5, from);
		free(from);
		fd = -1;
		if (c < 0) {
			buf_printf(&why, "cannot put %s into the cache: %s", o->extract_file, strerror(errno));
			goto out;
		}
		result = 0;
		break;
	}
	if (!found && rc != ARCHIVE_OK && rc != ARCHIVE_EOF)
		buf_printf(&why, "read error: %s", archive_error_string(a));
	else if (!found)
		buf_printf(&why, "no member '%s' in it", o->extract);
out:
	if (result < 0 && found)
		cache_part_discard(dir, o->extract_file, fd);
	archive_read_free(a);
	if (result < 0) {
		char *where = xasprintf("extract %s from %s", o->extract, outer);
		provider_failed(r, j, where, why.data ? why.data : "failed");
		free(where);
	}
	free(outer);
	buf_free(&why);
	return result;
}

/* The outer file of `o` is verified in the cache: finish (extract where asked). */
static int finish_origin(struct run *r, struct job *j, const struct origin *o)
{
	if (o->extract) {
		struct want w = member_want(o);
		if (cache_check(r->pl.cache, o->extract_file, &w, CACHE_STAMP_ONLY, NULL, NULL) != CACHE_OK &&
		    extract_member(r, j, o) < 0)
			return -1;
	}
	j->file = origin_unpack_file(o);
	return 0;
}

static int lock_file(struct run *r, struct job *j, const char *file)
{
	int fd = cache_trylock(r->pl.cache, file);
	if (fd < 0 && errno == EWOULDBLOCK) {
		long owner = cache_lock_owner(r->pl.cache, file);
		/* Another thread of this run holding it (two sources sharing a file) is not news. */
		if (!r->cfg->quiet && owner != (long)getpid())
			say(r, stderr, "lfsbuild: %s/%s is being written by another run (pid %ld); waiting for it",
			    r->pl.cache, file, owner);
		fd = cache_lock(r->pl.cache, file, true);
	}
	if (fd < 0) {
		struct buf why = {0};
		buf_printf(&why, "cannot lock it in %s: %s", r->pl.cache, strerror(errno));
		provider_failed(r, j, file, why.data);
		buf_free(&why);
	}
	return fd;
}

/* A cached file failed its check: named (even with -q), removed, and fetched again. */
static void cached_bad(struct run *r, struct job *j, const char *file, const char *why)
{
	say(r, stderr, "lfsbuild: %s: the cached %s/%s failed verification (%s); fetching it again", j->src->name,
	    r->pl.cache, file, why);
	cache_remove(r->pl.cache, file);
	j->refetched = true;
}

/* Is the source in the cache through origin `o` (checked in `mode`)? 1 yes, 0 no. */
static int cached_origin(struct run *r, struct job *j, const struct origin *o, enum cache_mode mode)
{
	const char *dir = r->pl.cache;
	char *fp = path_join(dir, o->file), *mp = o->extract ? path_join(dir, o->extract_file) : NULL;
	bool any = path_exists(fp) || (mp && path_exists(mp));
	free(fp);
	free(mp);
	if (!any)
		return 0;
	int lk = lock_file(r, j, o->file);
	if (lk < 0)
		return 0;
	int result = 0;
	struct buf why = {0};
	if (o->extract) {
		struct want w = member_want(o);
		enum cache_state cs = cache_check(dir, o->extract_file, &w, mode, NULL, &why);
		if (cs == CACHE_OK) {
			j->file = o->extract_file;
			result = 1;
			/* --verify reads the outer file too, where it is kept: one that fails is fetched again. */
			struct want ow = origin_want(o);
			if (mode == CACHE_REHASH &&
			    cache_check(dir, o->file, &ow, mode, NULL, &why) == CACHE_MISMATCH) {
				cached_bad(r, j, o->file, why.data);
				result = 0;
			}
			goto out;
		}
		if (cs == CACHE_MISMATCH)
			cached_bad(r, j, o->extract_file, why.data);
		buf_free(&why);
	}
	struct want w = origin_want(o);
	enum cache_state cs = cache_check(dir, o->file, &w, mode, NULL, &why);
	if (cs == CACHE_OK)
		result = finish_origin(r, j, o) == 0;
	else if (cs == CACHE_MISMATCH)
		cached_bad(r, j, o->file, why.data);
out:
	cache_unlock(lk);
	buf_free(&why);
	return result;
}

static void set_active(struct run *r, struct job *j, bool on)
{
	pthread_mutex_lock(&r->mu);
	j->active = on;
	j->now = j->total = 0;
	pthread_mutex_unlock(&r->mu);
}

/* Try one provider. 0: the source is in the cache; -1: this place failed; -2: the origin
 * itself is unusable (its file verified but the member could not be taken out). */
static int try_attempt(struct run *r, struct job *j, const struct attempt *a)
{
	const struct origin *o = a->origin;
	const char *dir = r->pl.cache;
	if (a->kind == PROV_MIRROR_DIR && !path_exists(a->where)) {
		if (r->cfg->verbose)
			say(r, stdout, "%s: %s: not there", j->src->name, a->where);
		return -1;
	}
	if (a->kind != PROV_MIRROR_DIR) {
		const char *bad = host_is_bad(r, a->where);
		if (bad) {
			pthread_mutex_lock(&r->mu);
			buf_printf(&j->failures, "    %s: skipped, its host did not answer before: %s\n", a->where, bad);
			pthread_mutex_unlock(&r->mu);
			if (r->cfg->verbose)
				say(r, stdout, "%s: %s: skipped, its host did not answer before", j->src->name, a->where);
			return -1;
		}
	}
	int lk = lock_file(r, j, o->file);
	if (lk < 0)
		return -1;
	struct want w = origin_want(o);
	if (cache_check(dir, o->file, &w, CACHE_STAMP_ONLY, NULL, NULL) == CACHE_OK) {
		/* Another run brought it while we waited for the lock. */
		int rr = finish_origin(r, j, o);
		cache_unlock(lk);
		if (rr == 0)
			j->cached = true;
		return rr == 0 ? 0 : -2;
	}
	int fd = cache_part_open(dir, o->file);
	struct buf why = {0};
	if (fd < 0) {
		buf_printf(&why, "cannot create %s/%s.part: %s", dir, o->file, strerror(errno));
		provider_failed(r, j, a->where, why.data);
		buf_free(&why);
		cache_unlock(lk);
		return -1;
	}
	struct sink s = {.r = r, .j = j, .fd = fd};
	if (digest_init(&s.d, true, true) < 0) {
		cache_part_discard(dir, o->file, fd);
		cache_unlock(lk);
		return -1;
	}
	if (r->cfg->verbose)
		say(r, stdout, "%s: trying %s %s", j->src->name, provider_name(a->kind), a->where);
	set_active(r, j, true);
	double t0 = now_mono();
	int rc = a->kind == PROV_MIRROR_DIR ? transfer_file(&s, a->where, &why) : transfer_url(r, &s, a->where, &why);
	double dt = now_mono() - t0;
	unsigned long long size = s.d.bytes;
	set_active(r, j, false);
	char sha[65], md5[33];
	if (rc == 0) {
		digest_final(&s.d, sha, md5);
		if (cache_compare(&w, sha, md5, &why) < 0)
			rc = -1;
	} else {
		digest_abort(&s.d);
	}
	if (rc < 0) {
		cache_part_discard(dir, o->file, fd);
		provider_failed(r, j, a->where, why.data);
		buf_free(&why);
		cache_unlock(lk);
		return -1;
	}
	if (cache_part_commit(dir, o->file, fd, sha, md5, a->where) < 0) {
		buf_printf(&why, "cannot put %s into %s: %s", o->file, dir, strerror(errno));
		provider_failed(r, j, a->where, why.data);
		buf_free(&why);
		cache_unlock(lk);
		return -1;
	}
	j->fetched = true;
	free(j->from);
	j->from = xasprintf("%s %s", provider_name(a->kind), a->where);
	if (!r->cfg->quiet) {
		/* fmt_bytes() and fmt_duration() share static buffers: format under the lock. */
		pthread_mutex_lock(&r->mu);
		char *what = xasprintf("%s in %s", fmt_bytes((double)size), fmt_duration(dt));
		pthread_mutex_unlock(&r->mu);
		say(r, stdout, "fetched %s: %s from %s (%s)", j->src->name, o->file, provider_name(a->kind), what);
		free(what);
	}
	int rr = finish_origin(r, j, o);
	cache_unlock(lk);
	return rr == 0 ? 0 : -2;
}

static void do_source(struct run *r, struct job *j)
{
	const struct source *src = j->src;
	enum cache_mode mode = r->cfg->verify ? CACHE_REHASH : CACHE_HASH_NEEDED;
	for (size_t i = 0; i < src->norigins && !j->ok; i++)
		if (cached_origin(r, j, &src->origins[i], mode))
			j->ok = j->cached = true;
	if (!j->ok) {
		struct plan p;
		fetch_plan(&r->pl, src, &p);
		bool *dead = xcalloc(src->norigins, sizeof *dead);
		for (size_t i = 0; i < p.n && !j->ok; i++) {
			const struct attempt *a = &p.a[i];
			size_t k = (size_t)(a->origin - src->origins);
			if (a->kind == PROV_CACHE || dead[k])
				continue;
			int rc = try_attempt(r, j, a);
			if (rc == 0)
				j->ok = true;
			else if (rc == -2)
				dead[k] = true;
		}
		free(dead);
		fetch_plan_free(&p);
	}
	if (j->ok && !j->fetched && r->cfg->verbose)
		say(r, stdout, "cached %s: %s%s", src->name, j->file, r->cfg->verify ? " (verified again)" : "");
	pthread_mutex_lock(&r->mu);
	r->done++;
	pthread_mutex_unlock(&r->mu);
}

static void *worker(void *arg)
{
	struct run *r = arg;
	for (;;) {
		pthread_mutex_lock(&r->mu);
		struct job *j = r->next < r->n ? &r->jobs[r->next++] : NULL;
		pthread_mutex_unlock(&r->mu);
		if (!j)
			return NULL;
		do_source(r, j);
	}
}

static void *display(void *arg)
{
	struct run *r = arg;
	pthread_mutex_lock(&r->mu);
	while (!r->stop) {
		status_draw(r);
		struct timespec ts;
		clock_gettime(CLOCK_REALTIME, &ts);
		ts.tv_nsec += 250 * 1000 * 1000;
		if (ts.tv_nsec >= 1000000000) {
			ts.tv_sec++;
			ts.tv_nsec -= 1000000000;
		}
		pthread_cond_timedwait(&r->cv, &r->mu, &ts);
	}
	status_clear(r);
	pthread_mutex_unlock(&r->mu);
	return NULL;
}


/* A .part left by a killed run is removed when no run holds its lock. */
static void sweep_parts(const char *dir, const struct source *const *list, size_t n)
{
	for (size_t i = 0; i < n; i++)
		for (size_t k = 0; k < list[i]->norigins; k++) {
			const struct origin *o = &list[i]->origins[k];
			const char *files[2] = {o->file, o->extract_file};
			bool stale = false;
			for (int f = 0; f < 2; f++) {
				if (!files[f])
					continue;
				char *pp = cache_part_path(dir, files[f]);
				stale |= path_exists(pp);
				free(pp);
			}
			if (!stale)
				continue;
			int lk = cache_trylock(dir, o->file);
			if (lk < 0)
				continue;
			for (int f = 0; f < 2; f++)
				if (files[f])
					cache_part_discard(dir, files[f], -1);
			cache_unlock(lk);
		}
}

static int dry_run(struct run *r, const struct source *const *list, size_t n)
{
	int wn = 4, wf = 4;
	for (size_t i = 0; i < n; i++) {
		struct source_state st;
		fetch_source_state(&r->pl, list[i], &st);
		if ((int)strlen(list[i]->name) > wn)
			wn = (int)strlen(list[i]->name);
		if (st.file && (int)strlen(st.file) > wf)
			wf = (int)strlen(st.file);
		free(st.where);
	}
	printf("%-*s  %-*s  %-10s  %s\n", wn, "NAME", wf, "FILE", "ORIGIN", "WHERE");
	for (size_t i = 0; i < n; i++) {
		struct source_state st;
		fetch_source_state(&r->pl, list[i], &st);
		const char *where = st.where ? st.where : "(no provider: no apt mirror URI and no --mirror)";
		printf("%-*s  %-*s  %-10s  %s%s\n", wn, list[i]->name, wf, st.file ? st.file : "-", provider_name(st.from),
		       where, st.cached && !st.verified ? " (no stamp: hashed on fetch)" : "");
		if (r->cfg->verbose) {
			struct plan p;
			fetch_plan(&r->pl, list[i], &p);
			for (size_t k = 0; k < p.n; k++)
				printf("    %zu. %-10s %s\n", k + 1, provider_name(p.a[k].kind), p.a[k].where);
			fetch_plan_free(&p);
		}
		free(st.where);
	}
	return 0;
}

static void summary(struct run *r, double dt)
{
	size_t ok = 0, fetched = 0, failed = 0;
	struct buf again = {0};
	for (size_t i = 0; i < r->n; i++) {
		struct job *j = &r->jobs[i];
		ok += j->ok;
		fetched += j->ok && j->fetched;
		failed += !j->ok;
		if (j->refetched && j->ok)
			buf_printf(&again, "%s%s", again.len ? ", " : "", j->src->name);
	}
	if (!r->cfg->quiet) {
		printf("fetch: %zu of %zu sources verified in the cache (%zu fetched, %s, %zu already there) in %s\n", ok,
		       r->n, fetched, fmt_bytes((double)r->bytes), ok - fetched, fmt_duration(dt));
		if (again.len)
			printf("fetch: fetched again after a failed verification: %s\n", again.data);
	}
	buf_free(&again);
	if (!failed)
		return;
	fflush(stdout);
	fprintf(stderr, "lfsbuild: error: %zu of %zu sources could not be fetched:\n", failed, r->n);
	struct buf names = {0};
	for (size_t i = 0; i < r->n; i++) {
		struct job *j = &r->jobs[i];
		if (j->ok)
			continue;
		buf_printf(&names, " %s", j->src->name);
		fprintf(stderr, "  %s (%s, %s/sources:%d):\n", j->src->name,
		        j->src->norigins ? j->src->origins[0].file : "?", r->cfg->bookdir, j->src->line);
		if (j->failures.len)
			fputs(j->failures.data, stderr);
		else
			fprintf(stderr, "    no provider had it (no apt mirror URI found, no --mirror, not in any --mirror-dir)\n");
	}
	fprintf(stderr,
	        "What to do next: check the network and the host's apt sources (/etc/apt/sources.list, "
	        "/etc/apt/sources.list.d/); or copy the files (names and checksums in %s/sources) into a directory "
	        "and run `lfsbuild fetch --mirror-dir DIR%s`; or give a mirror with --mirror URL.\n",
	        r->cfg->bookdir, names.data);
	buf_free(&names);
}

int fetch_run(const struct config *cfg, const struct source *const *list, size_t n)
{
	struct run r = {0};
	r.cfg = cfg;
	fetch_places_init(cfg, &r.pl, &r.apt);
	r.connect_timeout = env_seconds("LFSBUILD_FETCH_TIMEOUT", 5);
	r.stall_time = env_seconds("LFSBUILD_FETCH_STALL", 20);
	int status = 0;
	if (cfg->dry_run) {
		status = dry_run(&r, list, n);
		strv_free(&r.apt);
		return status;
	}
	if (mkdir_p(cfg->sources, 0755) < 0) {
		errorf("cannot create the source cache %s:", cfg->sources);
		strv_free(&r.apt);
		return 1;
	}
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != 0) {
		errorf("libcurl could not start");
		strv_free(&r.apt);
		return 1;
	}
	sweep_parts(cfg->sources, list, n);
	pthread_mutex_init(&r.mu, NULL);
	pthread_cond_init(&r.cv, NULL);
	r.jobs = xcalloc(n, sizeof *r.jobs);
	for (size_t i = 0; i < n; i++)
		r.jobs[i].src = list[i];
	r.n = n;
	r.t0 = now_mono();
	r.tty = !cfg->quiet && isatty(STDERR_FILENO) && getenv("TERM") && strcmp(getenv("TERM"), "dumb");
	pthread_t th[MAX_PARALLEL], disp;
	size_t nth = n < MAX_PARALLEL ? n : MAX_PARALLEL;
	bool have_disp = r.tty && pthread_create(&disp, NULL, display, &r) == 0;
	size_t started = 0;
	for (size_t i = 0; i < nth; i++)
		if (pthread_create(&th[started], NULL, worker, &r) == 0)
			started++;
	if (!started && n)
		worker(&r);
	for (size_t i = 0; i < started; i++)
		pthread_join(th[i], NULL);
	if (have_disp) {
		pthread_mutex_lock(&r.mu);
		r.stop = true;
		pthread_cond_signal(&r.cv);
		pthread_mutex_unlock(&r.mu);
		pthread_join(disp, NULL);
	}
	summary(&r, now_mono() - r.t0);
	for (size_t i = 0; i < n; i++) {
		if (!r.jobs[i].ok)
			status = 1;
		buf_free(&r.jobs[i].failures);
		free(r.jobs[i].from);
	}
	free(r.jobs);
	strv_free(&r.bad_hosts);
	strv_free(&r.apt);
	pthread_mutex_destroy(&r.mu);
	pthread_cond_destroy(&r.cv);
	curl_global_cleanup();
	return status;
}
