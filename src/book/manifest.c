/* manifest: parse book/sources (docs/sources.md) into sources and their origins. */
#include "book/manifest.h"

#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct parser {
	const char *path;
	int line;
	struct buf *errors;
	int nerrors;
	struct manifest *m;
	struct source *cur;     /* the entry origins are added to */
	int cur_origin_lines;   /* origin lines seen for `cur`, good or bad */
};

static void perr(struct parser *p, int line, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void perr(struct parser *p, int line, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	char *msg = xvasprintf(fmt, ap);
	va_end(ap);
	buf_printf(p->errors, "%s:%d: %s\n", p->path, line, msg);
	free(msg);
	p->nerrors++;
}

static bool name_ok(const char *s)
{
	if (!*s)
		return false;
	for (; *s; s++)
		if (!isalnum((unsigned char)*s) && !strchr("._+-", *s))
			return false;
	return true;
}

/* A file name for the cache: one path part, not hidden (the cache keeps its own state in
 * dot-files), not one of ours (.part, .lock). */
static const char *file_problem(const char *f)
{
	if (!*f)
		return "is empty";
	if (strchr(f, '/'))
		return "has a '/' (a file name in the cache is one path part)";
	if (f[0] == '.')
		return "starts with '.'";
	if (str_ends(f, ".part") || str_ends(f, ".lock"))
		return "ends in .part or .lock (names the fetcher uses for its own files)";
	for (const char *c = f; *c; c++)
		if ((unsigned char)*c < 0x21 || *c == 0x7f)
			return "has a control character";
	return NULL;
}

/* Lower-cased copy of a hex digest of `digits` digits, or NULL after saying what is wrong. */
static char *parse_hex(struct parser *p, const char *key, const char *val, size_t digits)
{
	size_t n = strlen(val);
	if (n != digits) {
		perr(p, p->line, "%s= wants %zu hex digits, got %zu", key, digits, n);
		return NULL;
	}
	char *h = xstrdup(val);
	for (size_t i = 0; i < n; i++) {
		if (!isxdigit((unsigned char)h[i])) {
			perr(p, p->line, "%s= has a non-hex character '%c'", key, h[i]);
			free(h);
			return NULL;
		}
		h[i] = (char)tolower((unsigned char)h[i]);
	}
	return h;
}

static void origin_free(struct origin *o)
{
	free(o->version);
	free(o->url);
	free(o->file);
	free(o->sha256);
	free(o->md5);
	free(o->extract);
	free(o->debian_pkg);
	free(o->debian_version);
	free(o->extract_sha256);
	free(o->extract_file);
	memset(o, 0, sizeof *o);
}

/* "pool/main/<p>/<srcpkg>/<file>", <p> = "libX" for lib* packages, else the first letter. */
static char *debian_pool_path(const char *srcpkg, const char *file)
{
	size_t plen = str_starts(srcpkg, "lib") && strlen(srcpkg) > 3 ? 4 : 1;
	return xasprintf("pool/main/%.*s/%s/%s", (int)plen, srcpkg, srcpkg, file);
}

struct optval {
	const char *key;
	char *val;      /* points into the line */
	int seen;
};

/* Parse "key=value" words into `opts` (a table ending with a NULL key). */
static int parse_options(struct parser *p, const char *kw, char **w, int n, struct optval *opts)
{
	int bad = 0;
	for (int i = 0; i < n; i++) {
		char *eq = strchr(w[i], '=');
		if (!eq) {
			perr(p, p->line, "%s: unexpected word '%s' (options are KEY=VALUE)", kw, w[i]);
			bad = 1;
			continue;
		}
		*eq = '\0';
		struct optval *o;
		for (o = opts; o->key; o++)
			if (!strcmp(o->key, w[i]))
				break;
		if (!o->key) {
			struct buf known = {0};
			for (struct optval *k = opts; k->key; k++)
				buf_printf(&known, "%s%s=", k == opts ? "" : ", ", k->key);
			perr(p, p->line, "%s: unknown option '%s=' (known: %s)", kw, w[i], known.data);
			buf_free(&known);
			bad = 1;
			continue;
		}
		if (o->seen) {
			perr(p, p->line, "%s: %s= given twice", kw, o->key);
			bad = 1;
			continue;
		}
		o->seen = 1;
		o->val = eq + 1;
		if (!*o->val) {
			perr(p, p->line, "%s: %s= is empty", kw, o->key);
			bad = 1;
		}
	}
	return bad ? -1 : 0;
}

static void add_origin(struct parser *p, struct origin *o)
{
	struct source *s = p->cur;
	s->origins = xrealloc(s->origins, (s->norigins + 1) * sizeof *s->origins);
	s->origins[s->norigins++] = *o;
}

/* The checksums shared by both kinds of origin; returns -1 if one is malformed. */
static int take_checksums(struct parser *p, struct origin *o, const struct optval *md5, const struct optval *sha)
{
	int bad = 0;
	if (md5->seen && md5->val[0] && !(o->md5 = parse_hex(p, "md5", md5->val, 32)))
		bad = 1;
	if (sha->seen && sha->val[0] && !(o->sha256 = parse_hex(p, "sha256", sha->val, 64)))
		bad = 1;
	if (!bad && !o->md5 && !o->sha256) {
		perr(p, p->line, "%s origin of '%s' has no checksum (give md5= or sha256=)",
		     origin_kind_name(o->kind), p->cur->name);
		bad = 1;
	}
	return bad ? -1 : 0;
}

static void parse_upstream(struct parser *p, char **w, int n)
{
	if (n < 3) {
		perr(p, p->line, "upstream wants VERSION URL [file=NAME] [md5=HEX] [sha256=HEX]");
		return;
	}
	struct optval opts[] = {{"file", NULL, 0}, {"md5", NULL, 0}, {"sha256", NULL, 0}, {NULL, NULL, 0}};
	int bad = parse_options(p, "upstream", w + 3, n - 3, opts);
	struct origin o = {.kind = ORIGIN_UPSTREAM, .line = p->line};
	const char *url = w[2], *colon = strstr(url, "://");
	bool scheme_ok = colon && colon > url;
	for (const char *c = url; scheme_ok && c < colon; c++)
		if (!isalnum((unsigned char)*c) && !strchr("+.-", *c))
			scheme_ok = false;
	if (!scheme_ok) {
		perr(p, p->line, "upstream: '%s' is not a URL (SCHEME://HOST/PATH)", url);
		bad = 1;
	}
	if (opts[0].seen && opts[0].val[0]) {
		o.file = xstrdup(opts[0].val);
	} else if (scheme_ok) {
		size_t end = strcspn(url, "?#");
		const char *slash = url + end;
		while (slash > colon + 3 && slash[-1] != '/')
			slash--;
		if (slash > colon + 3 && slash < url + end)
			o.file = xstrndup(slash, (size_t)(url + end - slash));
		else {
			perr(p, p->line, "upstream: the URL '%s' ends without a file name; give file=NAME", url);
			bad = 1;
		}
	}
	const char *why = o.file ? file_problem(o.file) : NULL;
	if (why) {
		perr(p, p->line, "upstream: the file name '%s' %s", o.file, why);
		bad = 1;
	}
	if (!bad && take_checksums(p, &o, &opts[1], &opts[2]) < 0)
		bad = 1;
	if (bad) {
		origin_free(&o);
		return;
	}
	o.version = xstrdup(w[1]);
	o.url = xstrdup(url);
	add_origin(p, &o);
}

static void parse_debian(struct parser *p, char **w, int n)
{
	if (n < 5) {
		perr(p, p->line, "debian wants VERSION SRCPKG DEBVERSION ORIGFILE [sha256=HEX] [md5=HEX] "
		                 "[extract=MEMBER sha256x=HEX]");
		return;
	}
	struct optval opts[] = {{"sha256", NULL, 0}, {"md5", NULL, 0}, {"extract", NULL, 0},
	                        {"sha256x", NULL, 0}, {NULL, NULL, 0}};
	int bad = parse_options(p, "debian", w + 5, n - 5, opts);
	struct origin o = {.kind = ORIGIN_DEBIAN, .line = p->line};
	const char *pkg = w[2], *file = w[4];
	bool pkg_ok = strlen(pkg) >= 2 && (islower((unsigned char)pkg[0]) || isdigit((unsigned char)pkg[0]));
	for (const char *c = pkg; pkg_ok && *c; c++)
		if (!islower((unsigned char)*c) && !isdigit((unsigned char)*c) && !strchr("+-.", *c))
			pkg_ok = false;
	if (!pkg_ok) {
		perr(p, p->line, "debian: '%s' is not a Debian source package name", pkg);
		bad = 1;
	}
	const char *why = file_problem(file);
	if (why) {
		perr(p, p->line, "debian: the file name '%s' %s", file, why);
		bad = 1;
	}
	if (opts[2].seen && !opts[3].seen) {
		perr(p, p->line, "debian: extract= needs sha256x= (the member's checksum)");
		bad = 1;
	}
	if (opts[3].seen && !opts[2].seen) {
		perr(p, p->line, "debian: sha256x= without extract=");
		bad = 1;
	}
	if (opts[2].seen && opts[2].val[0]) {
		const char *m = opts[2].val, *base = strrchr(m, '/');
		base = base ? base + 1 : m;
		const char *mwhy = file_problem(base);
		if (mwhy || strstr(m, "..")) {
			perr(p, p->line, "debian: extract= member '%s' %s", m, mwhy ? mwhy : "has '..'");
			bad = 1;
		} else if (!strcmp(base, file)) {
			perr(p, p->line, "debian: extract= member '%s' has the same name as the file it is in", m);
			bad = 1;
		} else {
			o.extract = xstrdup(m);
			o.extract_file = xstrdup(base);
		}
	}
	if (opts[3].seen && opts[3].val[0] && !(o.extract_sha256 = parse_hex(p, "sha256x", opts[3].val, 64)))
		bad = 1;
	if (!bad && take_checksums(p, &o, &opts[1], &opts[0]) < 0)
		bad = 1;
	if (bad) {
		origin_free(&o);
		return;
	}
	o.version = xstrdup(w[1]);
	o.debian_pkg = xstrdup(pkg);
	o.debian_version = xstrdup(w[3]);
	o.file = xstrdup(file);
	o.url = debian_pool_path(pkg, file);
	add_origin(p, &o);
}

static void source_free(struct source *s)
{
	for (size_t i = 0; i < s->norigins; i++)
		origin_free(&s->origins[i]);
	free(s->origins);
	free(s->name);
	free(s->version);
	memset(s, 0, sizeof *s);
}

/* Close the current entry: it must have origins; its version is the first upstream one's. */
static void end_source(struct parser *p)
{
	struct source *s = p->cur;
	if (!s)
		return;
	if (s->norigins == 0 && p->cur_origin_lines == 0)
		perr(p, s->line, "source '%s' has no origins (add an upstream or debian line below it)", s->name);
	const struct origin *v = s->norigins ? &s->origins[0] : NULL;
	for (size_t i = 0; i < s->norigins; i++)
		if (s->origins[i].kind == ORIGIN_UPSTREAM) {
			v = &s->origins[i];
			break;
		}
	if (v)
		s->version = xstrdup(v->version);
	p->cur = NULL;
	p->cur_origin_lines = 0;
}

static void parse_source(struct parser *p, char **w, int n)
{
	end_source(p);
	if (n != 2) {
		perr(p, p->line, "source wants one NAME");
		return;
	}
	if (!name_ok(w[1])) {
		perr(p, p->line, "source name '%s' may only have letters, digits and . _ + -", w[1]);
		return;
	}
	const struct source *prev = manifest_find(p->m, w[1]);
	if (prev) {
		perr(p, p->line, "duplicate source '%s' (first at line %d)", w[1], prev->line);
		return;
	}
	struct manifest *m = p->m;
	m->src = xrealloc(m->src, (m->n + 1) * sizeof *m->src);
	p->cur = &m->src[m->n++];
	memset(p->cur, 0, sizeof *p->cur);
	p->cur->name = xstrdup(w[1]);
	p->cur->line = p->line;
}

/* One file name in the cache holds one content: two origins (or extracted members) that name
 * the same file must not give it different checksums. */
struct named {
	const char *file, *sha256, *md5;
	int line;
};

static bool differ(const char *a, const char *b)
{
	return a && b && strcmp(a, b);
}

static void check_shared_files(struct parser *p)
{
	struct manifest *m = p->m;
	size_t n = 0, cap = 0;
	struct named *all = NULL;
	for (size_t i = 0; i < m->n; i++)
		for (size_t k = 0; k < m->src[i].norigins; k++) {
			const struct origin *o = &m->src[i].origins[k];
			struct named here[2] = {{o->file, o->sha256, o->md5, o->line},
			                        {o->extract_file, o->extract_sha256, NULL, o->line}};
			for (int h = 0; h < 2 && here[h].file; h++) {
				for (size_t j = 0; j < n; j++)
					if (!strcmp(all[j].file, here[h].file) &&
					    (differ(all[j].sha256, here[h].sha256) || differ(all[j].md5, here[h].md5))) {
						perr(p, here[h].line, "the file '%s' is also named at line %d with another checksum "
						     "(a file in the cache has one content)", here[h].file, all[j].line);
						break;
					}
				if (n == cap) {
					cap = cap ? 2 * cap : 64;
					all = xrealloc(all, cap * sizeof *all);
				}
				all[n++] = here[h];
			}
		}
	free(all);
}

int manifest_parse(const char *path, const char *text, struct manifest *m, struct buf *errors)
{
	memset(m, 0, sizeof *m);
	m->path = xstrdup(path);
	struct parser p = {.path = path, .errors = errors, .m = m};
	char *copy = xstrdup(text);
	char *line = copy;
	bool source_seen = false;
	while (line) {
		char *nl = strchr(line, '\n');
		if (nl)
			*nl = '\0';
		p.line++;
		char *w[32];
		int n = split_words(str_trim(line), w, (int)ARRAY_LEN(w));
		for (int i = 0; i < n && i < (int)ARRAY_LEN(w); i++)
			if (w[i][0] == '#') {
				n = i;  /* a comment runs to the end of the line */
				break;
			}
		if (n > (int)ARRAY_LEN(w)) {
			perr(&p, p.line, "too many words (%d)", n);
		} else if (n == 0) {
			/* blank or comment */
		} else if (!strcmp(w[0], "source")) {
			parse_source(&p, w, n);
		} else if (!strcmp(w[0], "upstream") || !strcmp(w[0], "debian")) {
			if (p.cur) {
				p.cur_origin_lines++;
				if (w[0][0] == 'u')
					parse_upstream(&p, w, n);
				else
					parse_debian(&p, w, n);
			} else if (!source_seen) {
				perr(&p, p.line, "%s line before any 'source' line", w[0]);
			}
			/* else: below a bad `source` line, which was reported already */
		} else {
			perr(&p, p.line, "unknown keyword '%s' (expected source, upstream or debian)", w[0]);
		}
		if (n && !strcmp(w[0], "source"))
			source_seen = true;
		line = nl ? nl + 1 : NULL;
	}
	end_source(&p);
	if (!p.nerrors)
		check_shared_files(&p);
	free(copy);
	if (p.nerrors) {
		manifest_free(m);
		return -1;
	}
	return 0;
}

int manifest_load(const char *path, struct manifest *m)
{
	memset(m, 0, sizeof *m);
	char *text = read_file(path, NULL);
	if (!text) {
		fprintf(stderr, "lfsbuild: error: cannot read the source manifest %s: %s\n", path, strerror(errno));
		return -1;
	}
	struct buf errors = {0};
	int r = manifest_parse(path, text, m, &errors);
	if (r < 0)
		fputs(errors.data, stderr);
	buf_free(&errors);
	free(text);
	return r;
}

const struct source *manifest_find(const struct manifest *m, const char *name)
{
	for (size_t i = 0; i < m->n; i++)
		if (!strcmp(m->src[i].name, name))
			return &m->src[i];
	return NULL;
}

void manifest_free(struct manifest *m)
{
	for (size_t i = 0; i < m->n; i++)
		source_free(&m->src[i]);
	free(m->src);
	free(m->path);
	memset(m, 0, sizeof *m);
}

const char *origin_unpack_file(const struct origin *o)
{
	return o->extract_file ? o->extract_file : o->file;
}

const char *origin_kind_name(enum origin_kind k)
{
	return k == ORIGIN_DEBIAN ? "debian" : "upstream";
}

int manifest_load_book(const char *bookdir, struct manifest *m)
{
	char *path = path_join(bookdir, "sources");
	int r = manifest_load(path, m);
	free(path);
	return r;
}
