/* layer: load the layers' recipe directories into the recipe set (docs/layers.md). */
#include "book/layer.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define err buf_file_error   /* "FILE:LINE: reason" (lib/util) */

/* The stage `layer`, appended after the book's last stage once: the mode, environment and
 * prelude of the book's `system` stage (its last stage when it has none), the chapter after the
 * book's last. Returns its index. */
static size_t layer_stage(struct recipe_set *set)
{
	int have = recipe_set_stage(set, LAYER_STAGE);
	if (have >= 0)
		return (size_t)have;
	int from = recipe_set_stage(set, "system");
	const struct stage *src = &set->stages[from >= 0 ? (size_t)from : set->nstages - 1];
	int chapter = 0;
	for (size_t i = 0; i < set->nstages; i++)
		if (set->stages[i].chapter > chapter)
			chapter = set->stages[i].chapter;
	struct stage st = {.name = xstrdup(LAYER_STAGE), .chapter = chapter + 1, .mode = src->mode,
	                   .prelude = xstrdup(src->prelude), .line = 0};
	for (size_t k = 0; k < src->env.n; k++)
		strv_add(&st.env, src->env.v[k]);
	for (size_t k = 0; k < src->icecream.n; k++)   /* its compilers too (not part of canon) */
		strv_add(&st.icecream, src->icecream.v[k]);
	st.canon = recipe_stage_canon(&st);
	set->stages = xrealloc(set->stages, (set->nstages + 1) * sizeof *set->stages);
	set->stages[set->nstages] = st;
	return set->nstages++;
}

/* The layer's name: the directory's last component, a name of [A-Za-z0-9+._-] that is not a
 * book chapter (chN) and not another layer's. */
static char *layer_name(const struct recipe_set *set, const char *dir, struct buf *errors)
{
	const char *slash = strrchr(dir, '/');
	char *name = xstrdup(slash ? slash + 1 : dir);
	char *probe = xasprintf("%s/x", name);
	bool ok = recipe_valid_id(probe, true) && !recipe_valid_id(probe, false);
	free(probe);
	if (!ok) {
		buf_printf(errors, "%s: a layer's directory name is the prefix of its step ids: '%s' must be of "
		           "[A-Za-z0-9+._-] and not chN\n", dir, name);
		free(name);
		return NULL;
	}
	for (size_t i = 0; i < set->nlayers; i++)
		if (!strcmp(set->layers[i].name, name)) {
			buf_printf(errors, "%s: a layer called %s is there already (%s)\n", dir, name, set->layers[i].dir);
			free(name);
			return NULL;
		}
	return name;
}

/* DIR/toc: the layer's step ids NAME/PAGE, in order, each once. */
static void read_toc(const char *dir, const char *name, struct strv *ids, struct strv *lines,
                     struct buf *errors)
{
	char *path = path_join(dir, "toc");
	char *text = read_file(path, NULL);
	if (!text) {
		buf_printf(errors, "%s: cannot read: %s (a layer lists its steps there)\n", path, strerror(errno));
		free(path);
		return;
	}
	char *cur = text, *s;
	int lineno = 0;
	size_t nlen = strlen(name);
	while ((s = recipe_next_entry(&cur, &lineno))) {
		if (strncmp(s, name, nlen) || s[nlen] != '/' || !recipe_valid_id(s, true))
			err(errors, path, lineno, "'%s' is not a step id of this layer (%s/PAGE)", s, name);
		else if (strv_contains(ids, s))
			err(errors, path, lineno, "%s is listed twice", s);
		else {
			strv_add(ids, s);
			strv_push(lines, xasprintf("%d", lineno));
		}
	}
	free(text);
	free(path);
}

/* Every recipe file of DIR (NAME.recipe) must be in the layer's toc. */
static void check_untracked(const char *dir, const char *name, const struct strv *ids, struct buf *errors)
{
	DIR *d = opendir(dir);
	if (!d)
		return;
	struct dirent *e;
	while ((e = readdir(d))) {
		if (!str_ends(e->d_name, ".recipe"))
			continue;
		char *id = xasprintf("%s/%.*s", name, (int)(strlen(e->d_name) - 7), e->d_name);
		if (!strv_contains(ids, id)) {
			char *p = path_join(dir, e->d_name);
			err(errors, p, 1, "step %s is not listed in %s/toc", id, dir);
			free(p);
		}
		free(id);
	}
	closedir(d);
}

/* The recipes of the toc's steps, appended to the set. */
static void load_recipes(struct recipe_set *set, size_t stage, const char *dir, const struct strv *ids,
                         const struct strv *lines, struct buf *errors)
{
	char *toc = path_join(dir, "toc");
	for (size_t i = 0; i < ids->n; i++) {
		const char *page = strchr(ids->v[i], '/') + 1;
		char *rel = xasprintf("%s.recipe", page);
		char *path = path_join(dir, rel);
		char *body = read_file(path, NULL);
		int tocline = atoi(lines->v[i]);
		if (!body) {
			err(errors, toc, tocline, "%s: no recipe %s (%s)", ids->v[i], path, strerror(errno));
		} else {
			struct recipe r;
			size_t before = errors->len;
			recipe_parse_in(set, dir, path, ids->v[i], body, &r, errors);
			if (errors->len == before && r.stage != stage)
				err(errors, path, 1, "a layer's steps are in stage %s", LAYER_STAGE);
			r.toc_line = tocline;
			set->steps = xrealloc(set->steps, (set->nsteps + 1) * sizeof *set->steps);
			set->steps[set->nsteps++] = r;
		}
		free(body);
		free(path);
		free(rel);
	}
	free(toc);
}

/* DIR/sources (if any) into m: a name the manifest has already is an error. */
static void merge_sources(struct manifest *m, const char *dir, struct buf *errors)
{
	char *path = path_join(dir, "sources");
	char *text = read_file_optional(path, errors);
	if (!text) {
		free(path);
		return;
	}
	struct manifest lm;
	if (manifest_parse(path, text, &lm, errors) == 0) {
		for (size_t i = 0; i < lm.n; i++) {
			const struct source *was = manifest_find(m, lm.src[i].name);
			if (was) {
				err(errors, path, lm.src[i].line, "source '%s' is defined already (%s:%d): one name, one source",
				    lm.src[i].name, m->path ? m->path : "the book's sources", was->line);
				continue;
			}
			m->src = xrealloc(m->src, (m->n + 1) * sizeof *m->src);
			m->src[m->n++] = lm.src[i];
			memset(&lm.src[i], 0, sizeof lm.src[i]);
		}
		manifest_free(&lm);
	}
	free(text);
	free(path);
}

int layer_add(struct recipe_set *set, struct manifest *m, const char *dir_given, struct buf *errors)
{
	size_t before = errors->len;
	char *dir = path_abs(dir_given);
	if (!is_dir(dir)) {
		buf_printf(errors, "%s: no such directory (a layer is a directory of recipes, docs/layers.md; "
		           "--no-layers leaves out the layers kept in WORKDIR/state/settings)\n", dir);
		free(dir);
		return -1;
	}
	char *name = layer_name(set, dir, errors);
	if (!name) {
		free(dir);
		return -1;
	}
	size_t stage = layer_stage(set);
	struct strv ids = {0}, lines = {0};
	read_toc(dir, name, &ids, &lines, errors);
	load_recipes(set, stage, dir, &ids, &lines, errors);
	check_untracked(dir, name, &ids, errors);
	merge_sources(m, dir, errors);
	char *checks = path_join(dir, "checks");
	if (!path_exists(checks)) {
		free(checks);
		checks = NULL;
	}
	set->layers = xrealloc(set->layers, (set->nlayers + 1) * sizeof *set->layers);
	set->layers[set->nlayers++] = (struct layer){.name = name, .dir = dir, .checks = checks};
	strv_free(&ids);
	strv_free(&lines);
	return errors->len == before ? 0 : -1;
}

/* The layer a step comes from, or NULL for a book step. */
static const struct layer *layer_of(const struct recipe_set *set, const struct recipe *r)
{
	for (size_t i = 0; i < set->nlayers; i++)
		if (r->home && !strcmp(r->home, set->layers[i].dir))
			return &set->layers[i];
	return NULL;
}

int layers_check(const struct recipe_set *set, const struct manifest *m, struct buf *errors)
{
	size_t before = errors->len;
	for (size_t i = 0; i < set->nsteps; i++) {
		const struct recipe *r = &set->steps[i];
		const struct layer *l = layer_of(set, r);
		if (!l)
			continue;
		for (size_t k = 0; k < r->nafter; k++)
			if (recipe_set_find(set, r->after[k].id) < 0 && !strv_contains(&set->missing, r->after[k].id))
				err(errors, r->file, r->after[k].line, "after: unknown step '%s' (not in the book's toc nor a layer's)",
				    r->after[k].id);
		for (size_t k = 0; k < r->sources.n; k++)
			if (!manifest_find(m, r->sources.v[k]))
				err(errors, r->file, r->sources_line, "unknown source '%s' (not in %s/sources nor %s)",
				    r->sources.v[k], l->dir, m->path ? m->path : "the book's sources");
	}
	return errors->len == before ? 0 : -1;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The fragments of one layer, appended to `out`; false when it has none. */
static bool add_layer_fragments(const struct layer *l, struct buf *out)
{
	char *kdir = path_join(l->dir, "files/kernel");
	DIR *d = opendir(kdir);
	struct strv names = {0};
	struct dirent *e;
	while (d && (e = readdir(d)))
		if (str_ends(e->d_name, ".config") && e->d_name[0] != '.')
			strv_add(&names, e->d_name);
	if (d)
		closedir(d);
	if (names.n)
		qsort(names.v, names.n, sizeof *names.v, cmp_str);
	for (size_t i = 0; i < names.n; i++) {
		char *p = path_join(kdir, names.v[i]);
		char *text = read_file(p, NULL);
		buf_printf(out, "\n# from the layer %s: %s\n%s", l->name, p, text ? text : "# (unreadable)\n");
		if (text && *text && text[strlen(text) - 1] != '\n')
			buf_puts(out, "\n");
		free(text);
		free(p);
	}
	bool any = names.n > 0;
	strv_free(&names);
	free(kdir);
	return any;
}

char *layer_kernel_fragment(const struct recipe_set *set, const struct recipe *r, const char *name)
{
	if (!set->nlayers || !str_starts(name, "kernel/") || !str_ends(name, ".config") ||
	    (r->home && strcmp(r->home, set->dir)))
		return NULL;
	char *rel = xasprintf("files/%s", name);
	char *path = path_join(set->dir, rel);
	char *book = read_file(path, NULL);
	free(rel);
	free(path);
	if (!book)
		return NULL;
	struct buf out = {0};
	buf_puts(&out, book);
	free(book);
	if (out.len && out.data[out.len - 1] != '\n')
		buf_puts(&out, "\n");
	bool any = false;
	for (size_t i = 0; i < set->nlayers; i++)
		any |= add_layer_fragments(&set->layers[i], &out);
	if (!any) {
		buf_free(&out);
		return NULL;
	}
	return out.data;
}

int book_open(const char *bookdir, const struct strv *layers, struct recipe_set *set, struct manifest *m)
{
	if (recipe_set_open(bookdir, set, m) < 0)
		return -1;
	if (!layers || !layers->n)
		return 0;
	struct buf errors = {0};
	for (size_t i = 0; i < layers->n; i++)
		layer_add(set, m, layers->v[i], &errors);
	if (!errors.len)
		layers_check(set, m, &errors);
	if (!errors.len)
		return 0;
	fputs(errors.data, stderr);
	fprintf(stderr, "lfsbuild: the layers have errors (above); nothing was run\n");
	buf_free(&errors);
	manifest_free(m);
	recipe_set_free(set);
	return -1;
}

int manifest_load_layers(const char *bookdir, const struct strv *layers, struct manifest *m)
{
	if (manifest_load_book(bookdir, m) < 0)
		return -1;
	struct buf errors = {0};
	for (size_t i = 0; layers && i < layers->n; i++) {
		char *dir = path_abs(layers->v[i]);
		if (!is_dir(dir))
			buf_printf(&errors, "%s: no such directory (a layer; --no-layers leaves out the kept ones)\n", dir);
		else
			merge_sources(m, dir, &errors);
		free(dir);
	}
	if (!errors.len)
		return 0;
	fputs(errors.data, stderr);
	buf_free(&errors);
	manifest_free(m);
	return -1;
}
