/* sbom: the CycloneDX document of the image (provenance/sbom.h, docs/sbom.md). */
#include "provenance/sbom.h"

#include <dirent.h>
#include <stdarg.h>
#include <errno.h>
#include <fcntl.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "book/layer.h"
#include "book/license.h"
#include "book/manifest.h"
#include "book/recipe.h"
#include "engine/graph.h"
#include "lib/fileutil.h"
#include "lib/json.h"
#include "lib/util.h"
#include "provenance/filemap.h"
#include "sources/cache.h"
#include "sources/digest.h"
#include "state/state.h"

#define DEBIAN_MIRROR "https://deb.debian.org/debian/"
#define ROOT_REF "image"

struct ctx {
	const struct sbom_input *in;
	struct stamp *stamps;       /* per step; have[i]: read */
	bool *have;
	struct step_files *files;   /* per step */
	struct sbom_summary *sum;
};

/* ---- small pieces ---- */

static void add_prop(json_t *props, const char *name, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void add_prop(json_t *props, const char *name, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	char *v = xvasprintf(fmt, ap);
	va_end(ap);
	json_array_append_new(props, json_pack("{s:s, s:o}", "name", name, "value", json_text(v)));
	free(v);
}

static json_t *sha256_hashes(const char *hex)
{
	return json_pack("[{s:s, s:s}]", "alg", "SHA-256", "content", hex);
}

/* `s` percent-encoded for a purl: unreserved characters as they are, and `keep` too. */
static void pct(struct buf *b, const char *s, const char *keep)
{
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		if ((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || strchr(".-_~", *p) ||
		    (keep && strchr(keep, *p)))
			buf_add(b, p, 1);
		else
			buf_printf(b, "%%%02X", *p);
	}
}

/* Where an origin's file is: upstream its URL, debian the file under Debian's main mirror. */
static char *origin_url(const struct origin *o)
{
	return o->kind == ORIGIN_DEBIAN ? xasprintf(DEBIAN_MIRROR "%s", o->url) : xstrdup(o->url);
}

/* pkg:generic/NAME@VERSION?checksum=sha256:HEX&download_url=URL (qualifiers in the order the
 * purl specification sorts them); without a built origin, the first origin's URL alone. */
static char *purl(const struct source *src, const struct origin *built, const char *version, const char *sha)
{
	struct buf b = {0};
	buf_puts(&b, "pkg:generic/");
	pct(&b, src->name, NULL);
	buf_puts(&b, "@");
	pct(&b, version, NULL);
	const struct origin *o = built ? built : src->norigins ? &src->origins[0] : NULL;
	const char *sep = "?";
	if (sha && built && (!built->extract || built->sha256)) {
		buf_printf(&b, "?checksum=sha256:%s", built->extract ? built->sha256 : sha);
		sep = "&";
	}
	if (o) {
		char *url = origin_url(o);
		buf_printf(&b, "%sdownload_url=", sep);
		pct(&b, url, ":/");
		free(url);
	}
	return b.data;
}

/* The stamp's checksum of source `name` ("source NAME HEX"), or NULL. */
static const char *stamp_source(const struct stamp *st, const char *name)
{
	size_t n = strlen(name);
	for (size_t k = 0; st && k < st->inputs.n; k++) {
		const char *l = st->inputs.v[k];
		if (str_starts(l, "source ") && !strncmp(l + 7, name, n) && l[7 + n] == ' ' && digest_hex_ok(l + 8 + n, 64))
			return l + 8 + n;
	}
	return NULL;
}

/* The origin whose file (the extracted member where there is one) has checksum `sha`: the one the
 * manifest gives that sha256, else (an origin with an MD5 only, the book's) the one whose file
 * the source cache's stamp vouches for with it; NULL when neither. */
static const struct origin *built_origin(const struct ctx *c, const struct source *src, const char *sha)
{
	for (size_t k = 0; sha && k < src->norigins; k++) {
		const struct origin *o = &src->origins[k];
		const char *want = o->extract ? o->extract_sha256 : o->sha256;
		if (want && !strcmp(want, sha))
			return o;
	}
	struct want w = {sha, NULL};
	for (size_t k = 0; sha && c->in->sources && k < src->norigins; k++) {
		const struct origin *o = &src->origins[k];
		if (cache_check(c->in->sources, origin_unpack_file(o), &w, CACHE_STAMP_ONLY, NULL, NULL) == CACHE_OK)
			return o;
	}
	return NULL;
}

static const char *stamp_input(const struct stamp *st, const char *prefix)
{
	for (size_t k = 0; st && k < st->inputs.n; k++)
		if (str_starts(st->inputs.v[k], prefix))
			return st->inputs.v[k] + strlen(prefix);
	return NULL;
}

/* ---- a source: its references, and the component of a step's further sources ---- */

/* One reference per origin (the Debian package named), the one built from marked. */
static void source_refs(json_t *refs, const struct origin *origins, size_t n, const struct origin *built)
{
	for (size_t k = 0; k < n; k++) {
		const struct origin *o = &origins[k];
		char *url = origin_url(o), *comment;
		if (o->kind == ORIGIN_DEBIAN)
			comment = xasprintf("Debian source package %s %s, file %s%s%s%s", o->debian_pkg, o->debian_version, o->file,
			                    o->extract ? " (member " : "", o->extract ? o->extract : "", o->extract ? ")" : "");
		else
			comment = xasprintf("upstream, as the book gives it");
		if (o == built) {
			char *more = xasprintf("%s; the file built here", comment);
			free(comment);
			comment = more;
		}
		json_t *r = json_pack("{s:o, s:s, s:o}", "url", json_text(url), "type", "source-distribution", "comment",
		                      json_text(comment));
		if (o->sha256)
			json_object_set_new(r, "hashes", sha256_hashes(o->sha256));
		json_array_append_new(refs, r);
		free(url);
		free(comment);
	}
}

/* name, version, licence, hashes, purl, references and properties of the source a step built
 * (`sha`: the stamp's checksum of it, NULL when not built) into the component `o`. */
static void source_fields(struct ctx *c, json_t *o, json_t *props, const struct source *src, const char *sha)
{
	const struct origin *built = built_origin(c, src, sha);
	const char *version = built && built->version ? built->version : src->version;
	json_object_set_new(o, "name", json_text(src->name));
	json_object_set_new(o, "version", json_text(version));
	const char *lic = licenses_find(c->in->lic, src->name);
	if (lic)
		json_object_set_new(o, "licenses", json_pack("[{s:s, s:s}]", "expression", lic, "acknowledgement", "declared"));
	if (sha)
		json_object_set_new(o, "hashes", sha256_hashes(sha));
	char *p = purl(src, built, version, sha);
	json_object_set_new(o, "purl", json_text(p));
	free(p);
	json_t *refs = json_array();
	source_refs(refs, src->origins, src->norigins, built);
	json_object_set_new(o, "externalReferences", refs);
	if (src->version && strcmp(version, src->version))
		add_prop(props, "lfsbuild:book-version", "%s", src->version);
	if (built) {
		add_prop(props, "lfsbuild:source-file", "%s", origin_unpack_file(built));
		add_prop(props, "lfsbuild:source-origin", "%s", origin_kind_name(built->kind));
	} else if (sha) {
		add_prop(props, "lfsbuild:source-origin", "none of the manifest's origins has the checksum built");
	}
}

/* A further source of a step (gcc's mpfr, gmp, mpc; a patch), as a component inside it. */
static json_t *extra_source(struct ctx *c, const struct stamp *st, const char *name)
{
	const struct source *src = manifest_find(c->in->man, name);
	if (!src)
		return NULL;
	const struct origin *o0 = src->norigins ? &src->origins[0] : NULL;
	const char *file = o0 ? origin_unpack_file(o0) : "";
	bool patch = str_ends(file, ".patch") || str_ends(file, ".diff");
	json_t *o = json_pack("{s:s}", "type", patch ? "file" : "library"), *props = json_array();
	source_fields(c, o, props, src, stamp_source(st, name));
	add_prop(props, "lfsbuild:role", "a further source the step unpacks");
	json_object_set_new(o, "properties", props);
	return o;
}

/* ---- a step's files ---- */

static json_t *file_component(const struct owned_file *f)
{
	char *name = xasprintf("/%s", f->path);
	json_t *o = json_pack("{s:s, s:o}", "type", "file", "name", json_text(name)), *props = json_array();
	free(name);
	if (f->type == 'f') {
		json_object_set_new(o, "hashes", sha256_hashes(f->sha256));
		add_prop(props, "lfsbuild:mode", "%04o", f->mode);
	} else {
		add_prop(props, "lfsbuild:symlink", "%s", f->target ? f->target : "");
	}
	if (f->uid || f->gid)
		add_prop(props, "lfsbuild:owner", "%u:%u", f->uid, f->gid);
	if (f->listed_sha256[0])
		add_prop(props, "lfsbuild:installed-sha256", "%s", f->listed_sha256);
	json_object_set_new(o, "properties", props);
	return o;
}

/* What is known of a step's files, as a property; the file components appended to `comps`. */
static void step_files(struct ctx *c, size_t i, bool built, json_t *comps, json_t *props)
{
	const struct step_files *sf = &c->files[i];
	if (sf->known == FILES_LISTED) {
		add_prop(props, "lfsbuild:files", "%s", c->in->root ? "from its file list (--capture on), as they are in the root"
		                                                     : "from its file list (--capture on)");
		for (size_t k = 0; k < sf->n; k++)
			json_array_append_new(comps, file_component(&sf->v[k]));
		c->sum->files += sf->n;
		if (sf->gone)
			add_prop(props, "lfsbuild:files-gone", "%zu", sf->gone);
		if (sf->changed)
			add_prop(props, "lfsbuild:files-changed", "%zu", sf->changed);
		return;
	}
	if (built && sf->known != FILES_REMOVED)
		c->sum->files_unknown++;
	add_prop(props, "lfsbuild:files", "%s",
	         sf->known == FILES_NOT_CAPTURED ? "not known: it ran without capture (capture no in its recipe)"
	         : sf->known == FILES_STALE ? "not known: built again without --capture on since its file list was written"
	         : sf->known == FILES_REMOVED ? "none: taken out of the root (lfsbuild remove)"
	         : built ? "not known: built without --capture on (no file list)" : "not known: not built");
}

/* ---- the kernel ---- */

/* Does the step build the kernel: its `files` name a configuration fragment (kernel/NAME.config)
 * or it reads --kernel-config (LFSBUILD_KERNEL_CONFIG)? */
static bool is_kernel(const struct recipe *rc)
{
	for (size_t k = 0; k < rc->files.n; k++)
		if (str_starts(rc->files.v[k], "kernel/") && str_ends(rc->files.v[k], ".config"))
			return true;
	return strstr(rc->text, "LFSBUILD_KERNEL_CONFIG") != NULL;
}

/* The newest ROOT/boot/config-* (a regular file, opened without following a link): its name
 * (malloc'd) and sha256 into hex, or NULL. */
static char *root_kernel_config(const char *root, char *hex)
{
	int rootfd = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	int bootfd = rootfd < 0 ? -1 : openat(rootfd, "boot", O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	DIR *d = bootfd < 0 ? NULL : fdopendir(bootfd);
	char *best = NULL;
	struct timespec best_t = {0, 0};
	struct dirent *e;
	while (d && (e = readdir(d))) {
		struct stat st;
		if (!str_starts(e->d_name, "config-") || fstatat(dirfd(d), e->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0 ||
		    !S_ISREG(st.st_mode))
			continue;
		bool newer = st.st_mtim.tv_sec > best_t.tv_sec ||
		             (st.st_mtim.tv_sec == best_t.tv_sec && (st.st_mtim.tv_nsec > best_t.tv_nsec ||
		              (st.st_mtim.tv_nsec == best_t.tv_nsec && (!best || strcmp(e->d_name, best) > 0))));
		if (newer) {
			free(best);
			best = xstrdup(e->d_name);
			best_t = st.st_mtim;
		}
	}
	char err[512];
	int fd = best ? file_open_beneath(dirfd(d), "boot", best, err, sizeof err) : -1;
	struct digest dg;
	if (fd >= 0 && digest_init(&dg, true, false) == 0) {
		char buf[1 << 15];
		ssize_t n;
		while ((n = read(fd, buf, sizeof buf)) > 0)
			digest_update(&dg, buf, (size_t)n);
		digest_final(&dg, hex, NULL);
	} else {
		free(best);
		best = NULL;
	}
	if (fd >= 0)
		close(fd);
	if (d)
		closedir(d);
	else if (bootfd >= 0)
		close(bootfd);
	if (rootfd >= 0)
		close(rootfd);
	if (best) {
		char *path = xasprintf("/boot/%s", best);
		free(best);
		return path;
	}
	return NULL;
}

/* The kernel's configuration: the --kernel-config it was given, and the .config it was built with
 * (from its file list, else the root's newest /boot/config-*; a file component for it then). */
static void kernel_props(struct ctx *c, size_t i, json_t *comps, json_t *props)
{
	const struct stamp *st = c->have[i] ? &c->stamps[i] : NULL;
	const char *opt = stamp_input(st, "config kernel-config ");
	if (opt)
		add_prop(props, "lfsbuild:kernel-config-option", "%s", !strcmp(opt, "none") ? "none (the book's fragment)" : opt);
	const struct step_files *sf = &c->files[i];
	const struct owned_file *found = NULL;
	for (size_t k = 0; k < sf->n; k++)
		if (sf->v[k].type == 'f' && str_starts(sf->v[k].path, "boot/config-") && !strchr(sf->v[k].path + 5, '/'))
			found = &sf->v[k];
	if (found) {
		add_prop(props, "lfsbuild:kernel-config-file", "/%s", found->path);
		add_prop(props, "lfsbuild:kernel-config-sha256", "%s", found->sha256);
		return;
	}
	char hex[65];
	char *path = c->in->root && sf->known != FILES_LISTED ? root_kernel_config(c->in->root, hex) : NULL;
	if (!path)
		return;
	add_prop(props, "lfsbuild:kernel-config-file", "%s", path);
	add_prop(props, "lfsbuild:kernel-config-sha256", "%s", hex);
	json_t *f = json_pack("{s:s, s:o, s:o}", "type", "file", "name", json_text(path), "hashes", sha256_hashes(hex));
	json_array_append_new(comps, f);
	c->sum->files++;
	free(path);
}

/* ---- a step ---- */

/* The book's page of a step chN/PAGE (BOOK_URL chapterNN/PAGE.html); NULL for a layer's step and
 * for the steps that are ours, not the book's (their title says "ours" or "lfsbuild", book/toc). */
static char *book_page(const struct recipe *rc)
{
	int ch = 0, used = 0;
	if (sscanf(rc->id, "ch%d/%n", &ch, &used) != 1 || used == 0 || strstr(rc->title, "ours") ||
	    strstr(rc->title, "lfsbuild"))
		return NULL;
	return xasprintf(BOOK_URL "chapter%02d/%s.html", ch, rc->id + used);
}

/* Where the step comes from and how it was built: stage, layer, stamp, recipe, book files. */
static void step_props(struct ctx *c, size_t i, json_t *props)
{
	const struct recipe *rc = &c->in->set->steps[i];
	const struct stamp *st = c->have[i] ? &c->stamps[i] : NULL;
	const char *stage = c->in->set->stages[rc->stage].name;
	add_prop(props, "lfsbuild:step", "%s", rc->id);
	add_prop(props, "lfsbuild:stage", "%s", stage);
	if (!strcmp(stage, LAYER_STAGE))
		add_prop(props, "lfsbuild:layer", "%.*s", (int)strcspn(rc->id, "/"), rc->id);
	add_prop(props, "lfsbuild:result", "%s", st ? st->result : "not built");
	if (st && st->hash)
		add_prop(props, "lfsbuild:input-hash", "%s", st->hash);
	const char *recipe = stamp_input(st, "recipe ");
	if (recipe)
		add_prop(props, "lfsbuild:recipe-sha256", "%s", recipe);
	for (size_t k = 0; st && k < st->inputs.n; k++)
		if (str_starts(st->inputs.v[k], "file "))
			add_prop(props, "lfsbuild:book-file", "%s", st->inputs.v[k] + 5);
}

static json_t *step_component(struct ctx *c, size_t i)
{
	const struct recipe *rc = &c->in->set->steps[i];
	const struct stamp *st = c->have[i] ? &c->stamps[i] : NULL;
	bool built = st && !strcmp(st->result, "ok"), kernel = is_kernel(rc);
	const struct source *src = rc->sources.n ? manifest_find(c->in->man, rc->sources.v[0]) : NULL;
	json_t *o = json_pack("{s:s, s:o}", "type", kernel ? "operating-system" : src ? "application" : "file", "bom-ref",
	                      json_text(rc->id));
	json_t *props = json_array(), *comps = json_array();
	step_props(c, i, props);
	if (src) {
		source_fields(c, o, props, src, stamp_source(st, src->name));
	} else {
		json_object_set_new(o, "name", json_text(rc->id));
		json_object_set_new(o, "externalReferences", json_array());
	}
	json_object_set_new(o, "description", json_text(rc->title));
	char *page = book_page(rc);
	if (page)
		json_array_append_new(json_object_get(o, "externalReferences"),
		                      json_pack("{s:s, s:s, s:o}", "url", page, "type", "documentation", "comment",
		                                json_text("the book's page (" BOOK_VERSION ")")));
	free(page);
	if (!json_array_size(json_object_get(o, "externalReferences")))
		json_object_del(o, "externalReferences");
	for (size_t k = 1; k < rc->sources.n; k++) {
		json_t *x = extra_source(c, st, rc->sources.v[k]);
		if (x)
			json_array_append_new(comps, x);
	}
	if (kernel)
		kernel_props(c, i, comps, props);
	step_files(c, i, built, comps, props);
	json_object_set_new(o, "properties", props);
	if (json_array_size(comps))
		json_object_set_new(o, "components", comps);
	else
		json_decref(comps);
	c->sum->steps++;
	c->sum->not_built += !built;
	return o;
}

/* ---- the document ---- */

long long sbom_epoch(const char *workdir, const struct recipe_set *set, const char **why)
{
	const char *env = getenv("SOURCE_DATE_EPOCH");
	char *end;
	long long v = env && *env ? strtoll(env, &end, 10) : -1;
	if (v >= 0 && !*end) {
		*why = "SOURCE_DATE_EPOCH";
		return v;
	}
	double last = -1;
	for (size_t i = 0; i < set->nsteps; i++) {
		struct stamp st;
		if (stamp_read(workdir, set->steps[i].id, &st) < 0)
			continue;
		if (st.result && !strcmp(st.result, "ok") && st.start > 0 && st.start + st.wall > last)
			last = st.start + st.wall;
		stamp_free(&st);
	}
	*why = last > 0 ? "the end of the last step built" : "the book's release (no step built)";
	return last > 0 ? (long long)last : BOOK_RELEASE_EPOCH;
}

static json_t *metadata(const struct ctx *c)
{
	const struct sbom_input *in = c->in;
	const char *why;
	time_t t = (time_t)sbom_epoch(in->workdir, in->set, &why);
	struct tm tm;
	char when[32];
	gmtime_r(&t, &tm);
	strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%SZ", &tm);
	json_t *tool = json_pack("{s:s, s:s, s:o, s:s}", "type", "application", "name", "lfsbuild", "version",
	                         json_text(in->tool_version), "description",
	                         "builds Linux From Scratch from source into a bootable disk image");
	char *desc = xasprintf("the disk image %s: Linux From Scratch (%s) and its layers, built from source by lfsbuild",
	                       in->image, BOOK_VERSION);
	json_t *props = json_array();
	add_prop(props, "lfsbuild:image", "%s", in->image);
	add_prop(props, "lfsbuild:book", "%s", BOOK_VERSION);
	for (size_t k = 0; k < in->set->nlayers; k++)
		add_prop(props, "lfsbuild:layer", "%s", in->set->layers[k].name);
	json_t *root = json_pack("{s:s, s:s, s:s, s:s, s:o, s:[{s:s, s:s}], s:o}", "type", "operating-system", "bom-ref",
	                         ROOT_REF, "name", "Linux From Scratch", "version", BOOK_EDITION, "description",
	                         json_text(desc), "externalReferences", "url", BOOK_URL, "type", "documentation",
	                         "properties", props);
	free(desc);
	json_t *mprops = json_array();
	add_prop(mprops, "lfsbuild:timestamp", "%s", why);
	return json_pack("{s:s, s:[{s:s}], s:{s:[o]}, s:o, s:o}", "timestamp", when, "lifecycles", "phase", "build", "tools",
	                 "components", tool, "component", root, "properties", mprops);
}

/* The image depends on every step built; each step on its direct dependencies in the graph. */
static json_t *dependencies(const struct ctx *c)
{
	const struct recipe_set *set = c->in->set;
	const struct graph *g = c->in->g;
	json_t *deps = json_array(), *all = json_array();
	for (size_t i = 0; i < set->nsteps; i++)
		if (c->have[i] && !strcmp(c->stamps[i].result, "ok"))
			json_array_append_new(all, json_text(set->steps[i].id));
	json_array_append_new(deps, json_pack("{s:s, s:o}", "ref", ROOT_REF, "dependsOn", all));
	for (size_t i = 0; i < set->nsteps; i++) {
		json_t *on = json_array();
		for (size_t k = 0; k < g->ndeps[i]; k++)
			json_array_append_new(on, json_text(set->steps[g->deps[i][k]].id));
		json_array_append_new(deps, json_pack("{s:o, s:o}", "ref", json_text(set->steps[i].id), "dependsOn", on));
	}
	return deps;
}

/* urn:uuid: a UUID of version 5 (RFC 9562: SHA-1 of a namespace, here the URL one, and a name,
 * here the document's text without its serial number). */
static char *serial_number(const char *text, size_t len)
{
	static const unsigned char ns[16] = {0x6b, 0xa7, 0xb8, 0x11, 0x9d, 0xad, 0x11, 0xd1,
	                                     0x80, 0xb4, 0x00, 0xc0, 0x4f, 0xd4, 0x30, 0xc8};
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;
	EVP_MD_CTX *x = EVP_MD_CTX_new();
	if (!x || !EVP_DigestInit_ex(x, EVP_sha1(), NULL) || !EVP_DigestUpdate(x, ns, sizeof ns) ||
	    !EVP_DigestUpdate(x, text, len) || !EVP_DigestFinal_ex(x, md, &mdlen))
		die("cannot compute a SHA-1 (libcrypto)");
	EVP_MD_CTX_free(x);
	md[6] = (unsigned char)((md[6] & 0x0f) | 0x50);
	md[8] = (unsigned char)((md[8] & 0x3f) | 0x80);
	struct buf b = {0};
	buf_puts(&b, "urn:uuid:");
	for (int k = 0; k < 16; k++)
		buf_printf(&b, "%s%02x", k == 4 || k == 6 || k == 8 || k == 10 ? "-" : "", md[k]);
	return b.data;
}

static void ctx_free(struct ctx *c)
{
	size_t n = c->in->set->nsteps;
	for (size_t i = 0; i < n; i++)
		if (c->have[i])
			stamp_free(&c->stamps[i]);
	free(c->stamps);
	free(c->have);
	if (c->files)
		filemap_free(c->files, n);
	free(c->files);
}

json_t *sbom_document(const struct sbom_input *in, struct sbom_summary *sum, char *errbuf, size_t errlen)
{
	struct sbom_summary none;
	size_t n = in->set->nsteps;
	struct ctx c = {in, xcalloc(n + 1, sizeof(struct stamp)), xcalloc(n + 1, sizeof(bool)),
	                xcalloc(n + 1, sizeof(struct step_files)), sum ? sum : &none};
	memset(c.sum, 0, sizeof *c.sum);
	for (size_t i = 0; i < n; i++)
		c.have[i] = stamp_read(in->workdir, in->set->steps[i].id, &c.stamps[i]) == 0 && c.stamps[i].result;
	if (filemap_build(in->workdir, in->set, in->root, c.files, errbuf, errlen) < 0) {
		ctx_free(&c);
		return NULL;
	}
	json_t *comps = json_array();
	for (size_t i = 0; i < n; i++)
		json_array_append_new(comps, step_component(&c, i));
	json_t *body = json_pack("{s:s, s:s, s:i, s:o, s:o, s:o}", "bomFormat", "CycloneDX", "specVersion",
	                         SBOM_SPEC_VERSION, "version", 1, "metadata", metadata(&c), "components", comps,
	                         "dependencies", dependencies(&c));
	ctx_free(&c);
	size_t len;
	char *text = json_dump_line(body, JSON_COMPACT, &len);
	char *serial = serial_number(text, len);
	free(text);
	json_t *doc = json_pack("{s:s, s:s, s:s, s:i}", "bomFormat", "CycloneDX", "specVersion", SBOM_SPEC_VERSION,
	                        "serialNumber", serial, "version", 1);
	free(serial);
	const char *keys[] = {"metadata", "components", "dependencies"};
	for (size_t k = 0; k < ARRAY_LEN(keys); k++)
		json_object_set(doc, keys[k], json_object_get(body, keys[k]));
	json_decref(body);
	return doc;
}

int sbom_write(const struct sbom_input *in, const char *path, struct sbom_summary *sum, char *errbuf, size_t errlen)
{
	json_t *doc = sbom_document(in, sum, errbuf, errlen);
	if (!doc)
		return -1;
	size_t len;
	char *text = json_dump_line(doc, JSON_COMPACT, &len);
	json_decref(doc);
	int rc = 0;
	if (write_file_atomic(path, text, len, 0644) < 0)
		rc = set_error(errbuf, errlen, "cannot write %s: %s", path, strerror(errno));
	free(text);
	return rc;
}
