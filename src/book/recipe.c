/* recipe: parse book/stages, book/toc and the recipes into a recipe set. */
#include "book/recipe.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "book/manifest.h"

#define err buf_file_error   /* "FILE:LINE: reason" (lib/util) */

const char *step_mode_name(enum step_mode m)
{
	switch (m) {
	case MODE_USER: return "user";
	case MODE_HOST_ROOT: return "host-root";
	case MODE_CHROOT: return "chroot";
	}
	return "?";
}

static int parse_mode(const char *s, enum step_mode *m)
{
	if (!strcmp(s, "user"))
		*m = MODE_USER;
	else if (!strcmp(s, "host-root"))
		*m = MODE_HOST_ROOT;
	else if (!strcmp(s, "chroot"))
		*m = MODE_CHROOT;
	else
		return -1;
	return 0;
}

char *step_flat_id(const char *id)
{
	char *s = xstrdup(id);
	for (char *p = s; *p; p++)
		if (*p == '/')
			*p = '_';
	return s;
}

/* A page name: [A-Za-z0-9+._-], not empty, not starting with '.'. */
static bool valid_page(const char *p)
{
	if (!*p || *p == '.')
		return false;
	for (; *p; p++)
		if (!isalnum((unsigned char)*p) && !strchr("+._-", *p))
			return false;
	return true;
}

/* A step id is chN/NAME with NAME of [A-Za-z0-9+._-], not starting with '.'; a layer's is
 * LAYER/NAME (docs/layers.md). */
bool recipe_valid_id(const char *id, bool layer_ids)
{
	const char *slash = strchr(id, '/');
	if (!slash || slash == id)
		return false;
	if (str_starts(id, "ch") && isdigit((unsigned char)id[2])) {
		const char *p = id + 2;
		while (isdigit((unsigned char)*p))
			p++;
		if (p == slash)
			return valid_page(slash + 1);
	}
	if (!layer_ids || *id == '.')
		return false;
	for (const char *p = id; p < slash; p++)
		if (!isalnum((unsigned char)*p) && !strchr("+._-", *p))
			return false;
	return valid_page(slash + 1);
}

static bool valid_id(const char *id)
{
	return recipe_valid_id(id, false);
}

/* Iterate over the lines of a text: returns the next line (NUL-terminated in place) or NULL. */
static char *next_line(char **cursor)
{
	char *s = *cursor;
	if (!s || !*s)
		return NULL;
	char *nl = strchr(s, '\n');
	if (nl) {
		*nl = '\0';
		*cursor = nl + 1;
	} else {
		*cursor = s + strlen(s);
	}
	return s;
}

/* The next line of a list file that says something (trimmed; blank and '#' lines skipped), or
 * NULL; *lineno follows the lines read. */
char *recipe_next_entry(char **cursor, int *lineno)
{
	char *line;
	while ((line = next_line(cursor))) {
		++*lineno;
		char *s = str_trim(line);
		if (*s && *s != '#')
			return s;
	}
	return NULL;
}

/* ---- stages ---- */

static void stage_free(struct stage *s)
{
	free(s->name);
	strv_free(&s->env);
	strv_free(&s->icecream);
	free(s->prelude);
	free(s->canon);
}
/* Split "key value..." in place: s keeps the key, the result is the trimmed rest ("" if none). */
static char *split_key(char *s)
{
	char *rest = s;
	while (*rest && *rest != ' ' && *rest != '\t')
		rest++;
	if (*rest)
		*rest++ = '\0';
	return str_trim(rest);
}


char *recipe_stage_canon(const struct stage *g)
{
	struct buf c = {0};
	buf_printf(&c, "stage %s\nchapter %d\nmode %s\n", g->name, g->chapter, step_mode_name(g->mode));
	for (size_t k = 0; k < g->env.n; k++)
		buf_printf(&c, "env %s\n", g->env.v[k]);
	buf_printf(&c, "prelude %s\n", g->prelude);
	return c.data ? c.data : xstrdup("");
}

static int load_stages(const char *path, struct recipe_set *set, struct buf *errors)
{
	char *text = read_file(path, NULL);
	if (!text) {
		buf_printf(errors, "%s: cannot read: %s\n", path, strerror(errno));
		return -1;
	}
	size_t before = errors->len;
	char *cur = text, *line;
	int lineno = 0;
	struct stage *st = NULL;
	while ((line = next_line(&cur))) {
		lineno++;
		char *s = str_trim(line);
		if (!*s || *s == '#')
			continue;
		char *rest = split_key(s);
		if (!strcmp(s, "stage")) {
			if (!*rest || strpbrk(rest, " \t")) {
				err(errors, path, lineno, "stage wants one name");
				continue;
			}
			for (size_t i = 0; i < set->nstages; i++)
				if (!strcmp(set->stages[i].name, rest))
					err(errors, path, lineno, "stage '%s' is defined twice (first on line %d)", rest,
					    set->stages[i].line);
			set->stages = xrealloc(set->stages, (set->nstages + 1) * sizeof *set->stages);
			st = &set->stages[set->nstages++];
			memset(st, 0, sizeof *st);
			st->name = xstrdup(rest);
			st->line = lineno;
			st->chapter = -1;
			st->mode = (enum step_mode)-1;
			st->prelude = xstrdup("");
			continue;
		}
		if (!st) {
			err(errors, path, lineno, "'%s' before the first 'stage' line", s);
			continue;
		}
		if (!strcmp(s, "chapter")) {
			char *end;
			long n = strtol(rest, &end, 10);
			if (!*rest || *end || n < 1 || n > 99)
				err(errors, path, lineno, "chapter wants a number, not '%s'", rest);
			else
				st->chapter = (int)n;
		} else if (!strcmp(s, "mode")) {
			if (parse_mode(rest, &st->mode) < 0)
				err(errors, path, lineno, "unknown mode '%s' (user, host-root or chroot)", rest);
		} else if (!strcmp(s, "env")) {
			char *eq = strchr(rest, '=');
			if (!eq || eq == rest)
				err(errors, path, lineno, "env wants NAME=VALUE, not '%s'", rest);
			else
				strv_add(&st->env, rest);
		} else if (!strcmp(s, "icecream")) {
			/* the stage's compilers for --icecream: not part of `canon`, so adding the line
			 * reruns nothing (docs/engine.md, "A compile farm") */
			if (st->icecream.n)
				err(errors, path, lineno, "icecream is given twice in stage '%s'", st->name);
			char *copy = xstrdup(rest), *save = NULL;
			for (char *w = strtok_r(copy, " \t", &save); w; w = strtok_r(NULL, " \t", &save)) {
				if (strchr(w, '/') || !strcmp(w, "icecc") || !strcmp(w, ".") || !strcmp(w, ".."))
					err(errors, path, lineno, "icecream wants compiler names (no '/'), not '%s'", w);
				strv_add(&st->icecream, w);
			}
			free(copy);
			if (st->icecream.n < 2)
				err(errors, path, lineno, "icecream wants the C compiler, the C++ compiler, then other names of them");
		} else if (!strcmp(s, "prelude")) {
			char *p = *st->prelude ? xasprintf("%s\n%s", st->prelude, rest) : xstrdup(rest);
			free(st->prelude);
			st->prelude = p;
		} else {
			err(errors, path, lineno, "unknown key '%s' (stage, chapter, mode, env, icecream, prelude)", s);
		}
	}
	for (size_t i = 0; i < set->nstages; i++) {
		struct stage *g = &set->stages[i];
		if (g->chapter < 0)
			err(errors, path, g->line, "stage '%s' has no 'chapter' line", g->name);
		if ((int)g->mode < 0) {
			err(errors, path, g->line, "stage '%s' has no 'mode' line", g->name);
			g->mode = MODE_USER;
		}
		g->canon = recipe_stage_canon(g);
	}
	if (set->nstages == 0 && errors->len == before)
		err(errors, path, lineno ? lineno : 1, "no stage defined");
	free(text);
	return errors->len == before ? 0 : -1;
}

int recipe_set_stage(const struct recipe_set *set, const char *name)
{
	for (size_t i = 0; i < set->nstages; i++)
		if (!strcmp(set->stages[i].name, name))
			return (int)i;
	return -1;
}

/* ---- one recipe ---- */

/* A header line "KEY ..." (blanks around allowed). */
static bool is_key_line(const char *line, const char *key)
{
	while (*line == ' ' || *line == '\t')
		line++;
	size_t n = strlen(key);
	return str_starts(line, key) && (line[n] == ' ' || line[n] == '\t' || line[n] == '\0');
}

/* A header line left out of the stamp's hash: `disk` (an estimate), `known-failures` (what the
 * book says of the test results), `sbu-reference` (which step's time is the SBU), `capture`
 * (whether its writes are captured: the same files land in the root either way) and `icecream`
 * (whether --icecream sends its compiles to a farm: the same compiler either way): none
 * changes what the step does. */
static bool is_unhashed_line(const char *line)
{
	return is_key_line(line, "disk") || is_key_line(line, "known-failures") || is_key_line(line, "sbu-reference") ||
	       is_key_line(line, "capture") || is_key_line(line, "icecream");
}

void recipe_free(struct recipe *r)
{
	free(r->id);
	free(r->file);
	free(r->home);
	free(r->title);
	strv_free(&r->sources);
	for (size_t i = 0; i < r->nafter; i++)
		free(r->after[i].id);
	free(r->after);
	strv_free(&r->files);
	free(r->known_failures);
	free(r->icecream_why);
	free(r->build);
	free(r->test);
	free(r->install);
	free(r->text);
	free(r->hashed);
	memset(r, 0, sizeof *r);
}

static int parse_words(char *rest, struct strv *out)
{
	int n = 0;
	char *save = NULL;
	for (char *w = strtok_r(rest, " \t", &save); w; w = strtok_r(NULL, " \t", &save), n++)
		strv_add(out, w);
	return n;
}

int recipe_parse_size(const char *s, unsigned long long *out)
{
	char *end;
	errno = 0;
	double v = strtod(s, &end);
	if (errno || end == s || !(v > 0) || !isdigit((unsigned char)*s))
		return -1;
	while (*end == ' ' || *end == '\t')
		end++;
	double unit;
	if (!strcmp(end, "M") || !strcmp(end, "MB") || !strcmp(end, "MiB"))
		unit = 1024.0 * 1024;
	else if (!strcmp(end, "G") || !strcmp(end, "GB") || !strcmp(end, "GiB"))
		unit = 1024.0 * 1024 * 1024;
	else
		return -1;
	double bytes = v * unit;
	if (bytes > 1024.0 * 1024 * 1024 * 1024) /* 1 TiB: surely a typo */
		return -1;
	*out = (unsigned long long)(bytes + 0.5);
	return 0;
}

/* recipe_parse reads a recipe top to bottom: header lines ("KEY VALUE"), then sections
 * ("%build", "%test", "%install") whose bodies are collected. What it knows while it reads: */
struct parser {
	const struct recipe_set *set;
	const char *file, *id;
	bool in_layer;                 /* a layer's recipe (docs/layers.md) */
	struct recipe *r;
	struct buf *errors;
	int lineno;
	int stage;                     /* index of the `stage` line's stage, -1: none (yet) */
	int title_line, stage_line, sbu_line, mode_line, excl_line, capture_line, critical_line, sburef_line, icecream_line;
	char **section;                /* the body being collected (NULL: none, or an unknown one) */
	struct buf body;
	bool seen_section;             /* past the header */
};

#define PERR(p, ...) err((p)->errors, (p)->file, (p)->lineno, __VA_ARGS__)

/* ---- the header's keys, one function each ---- */

static void key_title(struct parser *p, char *rest)
{
	if (p->r->title)
		PERR(p, "title is given twice (first on line %d)", p->title_line);
	else
		p->r->title = xstrdup(rest), p->title_line = p->lineno;
}

static void key_stage(struct parser *p, char *rest)
{
	if (p->stage_line) {
		PERR(p, "stage is given twice (first on line %d)", p->stage_line);
		return;
	}
	p->stage_line = p->lineno;
	p->stage = recipe_set_stage(p->set, rest);
	if (p->in_layer && strcmp(rest, "layer")) {
		PERR(p, "stage '%s': a layer's steps are in stage layer (docs/layers.md)", rest);
		p->stage = -1;
	} else if (p->stage < 0) {
		struct buf names = {0};
		for (size_t i = 0; i < p->set->nstages; i++)
			buf_printf(&names, "%s%s", i ? " " : "", p->set->stages[i].name);
		PERR(p, "unknown stage '%s' (book/stages has: %s)", rest, names.data ? names.data : "none");
		buf_free(&names);
	}
}

static void key_sources(struct parser *p, char *rest)
{
	if (p->r->sources_line)
		PERR(p, "sources is given twice (first on line %d): list them on one line", p->r->sources_line);
	else
		parse_words(rest, &p->r->sources), p->r->sources_line = p->lineno;
}

/* One step id of an `after` line: valid, not the step itself, not named twice. */
static void add_after(struct parser *p, const char *dep)
{
	struct recipe *r = p->r;
	if (!recipe_valid_id(dep, p->in_layer)) {
		PERR(p, p->in_layer ? "after: '%s' is not a step id (chN/PAGE or LAYER/PAGE)"
		                    : "after: '%s' is not a step id (chN/PAGE)", dep);
		return;
	}
	if (!strcmp(dep, p->id)) {
		PERR(p, "after: a step cannot come after itself");
		return;
	}
	for (size_t k = 0; k < r->nafter; k++)
		if (!strcmp(r->after[k].id, dep)) {
			PERR(p, "after: '%s' is named twice", dep);
			return;
		}
	r->after = xrealloc(r->after, (r->nafter + 1) * sizeof *r->after);
	r->after[r->nafter++] = (struct dep_ref){xstrdup(dep), p->lineno};
}

static void key_after(struct parser *p, char *rest)
{
	struct strv w = {0};
	parse_words(rest, &w);
	for (size_t i = 0; i < w.n; i++)
		add_after(p, w.v[i]);
	strv_free(&w);
}

static void key_sbu(struct parser *p, char *rest)
{
	char *end;
	errno = 0;
	double v = strtod(rest, &end);
	if (p->sbu_line)
		PERR(p, "sbu is given twice (first on line %d)", p->sbu_line);
	else if (errno || *end || !(v > 0) || v > 10000)
		PERR(p, "sbu wants a positive number, not '%s'", rest);
	else
		p->r->sbu = v, p->sbu_line = p->lineno;
}

static void key_disk(struct parser *p, char *rest)
{
	if (p->r->disk_line)
		PERR(p, "disk is given twice (first on line %d)", p->r->disk_line);
	else if (recipe_parse_size(rest, &p->r->disk) < 0)
		PERR(p, "disk wants a size such as 650M or 3.8G, not '%s'", rest);
	else
		p->r->disk_line = p->lineno;
}

/* A `yes`/`no` key given at most once; *line remembers where. */
static void yes_no(struct parser *p, const char *key, char *rest, bool *val, int *line)
{
	if (*line)
		PERR(p, "%s is given twice (first on line %d)", key, *line);
	else if (strcmp(rest, "yes") && strcmp(rest, "no"))
		PERR(p, "%s wants yes or no, not '%s'", key, rest);
	else
		*val = !strcmp(rest, "yes"), *line = p->lineno;
}

static void key_critical_tests(struct parser *p, char *rest)
{
	yes_no(p, "critical-tests", rest, &p->r->critical_tests, &p->critical_line);
}

static void key_sbu_reference(struct parser *p, char *rest)
{
	yes_no(p, "sbu-reference", rest, &p->r->sbu_reference, &p->sburef_line);
	p->r->sbu_reference_line = p->sburef_line;
}

static void key_capture(struct parser *p, char *rest)
{
	if (p->capture_line)
		PERR(p, "capture is given twice (first on line %d)", p->capture_line);
	else if (!str_starts(rest, "yes") && !str_starts(rest, "no"))
		PERR(p, "capture wants yes or no (then, after a colon, why), not '%s'", rest);
	else if (rest[str_starts(rest, "no") ? 2 : 3] != '\0' && rest[str_starts(rest, "no") ? 2 : 3] != ':')
		PERR(p, "capture wants yes or no (then, after a colon, why), not '%s'", rest);
	else
		p->r->no_capture = str_starts(rest, "no"), p->capture_line = p->lineno;
}

/* `icecream no: WHY` (or `yes`): with --icecream, the step is built locally all the same. */
static void key_icecream(struct parser *p, char *rest)
{
	bool no = str_starts(rest, "no"), yes = str_starts(rest, "yes");
	char after = rest[no ? 2 : yes ? 3 : 0];
	if (p->icecream_line)
		PERR(p, "icecream is given twice (first on line %d)", p->icecream_line);
	else if ((!no && !yes) || (after != '\0' && after != ':'))
		PERR(p, "icecream wants yes or no (then, after a colon, why), not '%s'", rest);
	else if (no && after != ':')
		PERR(p, "icecream no wants a reason after a colon (what does not work through icecc), not '%s'", rest);
	else {
		p->r->no_icecream = no;
		p->icecream_line = p->lineno;
		free(p->r->icecream_why);
		p->r->icecream_why = xstrdup(after == ':' ? str_trim(rest + (no ? 3 : 4)) : "");
	}
}

static void key_exclusive(struct parser *p, char *rest)
{
	if (p->excl_line)
		PERR(p, "exclusive is given twice (first on line %d)", p->excl_line);
	else if (strcmp(rest, "yes") && strcmp(rest, "no"))
		PERR(p, "exclusive wants yes or no, not '%s'", rest);
	else
		p->r->exclusive = !strcmp(rest, "yes"), p->excl_line = p->lineno;
}

static void key_mode(struct parser *p, char *rest)
{
	if (p->mode_line)
		PERR(p, "mode is given twice (first on line %d)", p->mode_line);
	else if (parse_mode(rest, &p->r->mode) < 0)
		PERR(p, "unknown mode '%s' (user, host-root or chroot)", rest);
	else
		p->mode_line = p->lineno;
}

static void key_files(struct parser *p, char *rest)
{
	struct recipe *r = p->r;
	if (r->files_line) {
		PERR(p, "files is given twice (first on line %d)", r->files_line);
		return;
	}
	r->files_line = p->lineno;
	parse_words(rest, &r->files);
	for (size_t i = 0; i < r->files.n; i++) {
		const char *f = r->files.v[i];
		char *rel = xasprintf("files/%s", f);
		char *path = path_join(r->home ? r->home : ".", rel);
		if (strstr(f, "..") || f[0] == '/')
			PERR(p, "files: '%s' must be a name under %s/", f, p->in_layer ? "the layer's files" : "book/files");
		else if (r->home && !path_exists(path))
			PERR(p, "files: %s does not exist", path);
		free(path);
		free(rel);
	}
}

/* "[COUNT] TEXT": the book's expected test failures (docs/recipes.md) */
static void key_known_failures(struct parser *p, char *rest)
{
	struct recipe *r = p->r;
	if (r->known_line) {
		PERR(p, "known-failures is given twice (first on line %d)", r->known_line);
		return;
	}
	r->known_line = p->lineno;
	const char *d = rest;
	while (isdigit((unsigned char)*d))
		d++;
	if (d > rest && (*d == '\0' || *d == ' ' || *d == '\t')) {
		if (d - rest > 6) {
			PERR(p, "known-failures: the count '%.*s' is too large", (int)(d - rest), rest);
			return;
		}
		r->known_count = strtol(rest, NULL, 10);
		while (*d == ' ' || *d == '\t')
			d++;
		rest += d - rest;
	}
	r->known_failures = xstrdup(rest);
}

static const struct {
	const char *key;
	void (*parse)(struct parser *p, char *rest);
} header_keys[] = {
	{"title", key_title}, {"stage", key_stage}, {"sources", key_sources}, {"after", key_after},
	{"sbu", key_sbu}, {"disk", key_disk}, {"exclusive", key_exclusive}, {"capture", key_capture}, {"icecream", key_icecream}, {"mode", key_mode},
	{"files", key_files}, {"known-failures", key_known_failures},
	{"critical-tests", key_critical_tests}, {"sbu-reference", key_sbu_reference},
};

/* ---- the lines ---- */

/* A header line: blank, a comment, or "KEY VALUE". */
static void header_line(struct parser *p, char *line)
{
	char *s = str_trim(line);
	if (!*s || *s == '#')
		return;
	char *rest = split_key(s);
	const char *key = s;
	if (!*rest) {
		PERR(p, "'%s' wants a value", key);
		return;
	}
	for (size_t i = 0; i < ARRAY_LEN(header_keys); i++)
		if (!strcmp(key, header_keys[i].key)) {
			header_keys[i].parse(p, rest);
			return;
		}
	PERR(p, "unknown key '%s' (title, stage, sources, after, sbu, disk, exclusive, capture, icecream, mode, files, "
	        "known-failures, critical-tests, sbu-reference)", key);
}

/* The body collected so far becomes its section's text ("" for an empty one). */
static void end_section(struct parser *p)
{
	if (p->section)
		*p->section = p->body.data ? p->body.data : xstrdup("");
	else
		buf_free(&p->body);
	p->body = (struct buf){0};
	p->section = NULL;
}

/* "%NAME": the end of the header or of the section before; the start of NAME's body. */
static void section_line(struct parser *p, char *line)
{
	struct recipe *r = p->r;
	char *name = str_trim(line + 1);
	char **target = !strcmp(name, "build") ? &r->build
	              : !strcmp(name, "test") ? &r->test
	              : !strcmp(name, "install") ? &r->install : NULL;
	end_section(p);
	p->seen_section = true;
	if (!target) {
		PERR(p, "unknown section '%%%s' (%%build, %%test, %%install)", name);
		return;
	}
	if (*target) {
		PERR(p, "section '%%%s' appears twice", name);
		return;
	}
	p->section = target;
	*(target == &r->build ? &r->build_line : target == &r->test ? &r->test_line : &r->install_line) = p->lineno;
	buf_puts(&p->body, ""); /* an empty section is "" */
}

/* Append the next line of `*orig` (the original text, newline included) to `hashed`, unless it
 * is a header's `disk` or `known-failures` line (they change nothing the step does). */
static void hash_line(struct parser *p, const char *line, const char **orig, struct buf *hashed)
{
	const char *nl = strchr(*orig, '\n');
	size_t len = nl ? (size_t)(nl - *orig) + 1 : strlen(*orig);
	if (p->section || p->seen_section || !is_unhashed_line(line))
		buf_add(hashed, *orig, len);
	*orig += len;
}

/* After the last line: what every recipe needs, and the defaults. */
static void finish_recipe(struct parser *p)
{
	struct recipe *r = p->r;
	p->lineno = p->lineno ? p->lineno : 1;
	if (!r->title)
		PERR(p, "no 'title' line");
	if (!p->stage_line)
		PERR(p, "no 'stage' line");
	if (!r->build)
		PERR(p, "no %%build section");
	if (r->critical_tests && !r->test) {
		p->lineno = p->critical_line;
		PERR(p, "critical-tests yes, but there is no %%test section");
	}
	r->stage = p->stage < 0 ? 0 : (size_t)p->stage;
	if (!p->mode_line)
		r->mode = p->stage >= 0 ? p->set->stages[p->stage].mode : MODE_USER;
	if (r->sbu < 0)
		r->sbu = 0.1;
}

int recipe_parse(const struct recipe_set *set, const char *file, const char *id, const char *text,
                 struct recipe *r, struct buf *errors)
{
	return recipe_parse_in(set, set->dir, file, id, text, r, errors);
}

int recipe_parse_in(const struct recipe_set *set, const char *home, const char *file, const char *id,
                    const char *text, struct recipe *r, struct buf *errors)
{
	size_t before = errors->len;
	memset(r, 0, sizeof *r);
	r->id = xstrdup(id);
	r->file = xstrdup(file);
	r->home = home ? xstrdup(home) : NULL;
	r->text = xstrdup(text);
	r->sbu = -1;
	r->known_count = -1;
	struct parser p = {.set = set, .file = file, .id = id, .r = r, .errors = errors, .stage = -1,
	                   .in_layer = home && (!set->dir || strcmp(home, set->dir))};
	struct buf hashed = {0};       /* the text without its `disk` and `known-failures` lines */
	const char *orig = text;       /* the current line in the original text */
	char *copy = xstrdup(text), *cur = copy, *line;
	while ((line = next_line(&cur))) {
		p.lineno++;
		hash_line(&p, line, &orig, &hashed);
		if (line[0] == '%' && isalpha((unsigned char)line[1])) {
			section_line(&p, line);
		} else if (p.section) {
			buf_puts(&p.body, line);
			buf_puts(&p.body, "\n");
		} else if (!p.seen_section) {
			header_line(&p, line);
		} /* else: the body of an unknown section (reported at its line) */
	}
	end_section(&p);
	free(copy);
	r->hashed = hashed.data ? hashed.data : xstrdup("");
	finish_recipe(&p);
	return errors->len == before ? 0 : -1;
}

/* ---- the set ---- */

int recipe_set_find(const struct recipe_set *set, const char *id)
{
	for (size_t i = 0; i < set->nsteps; i++)
		if (!strcmp(set->steps[i].id, id))
			return (int)i;
	return -1;
}

struct tocline {
	char *id;
	int line;
};

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Every *.recipe under DIR/ch*: its step id must be in the toc. */
static void check_untracked(const char *dir, struct tocline *toc, size_t ntoc, struct buf *errors)
{
	DIR *d = opendir(dir);
	if (!d)
		return;
	struct strv chapters = {0};
	struct dirent *e;
	while ((e = readdir(d)))
		if (str_starts(e->d_name, "ch") && isdigit((unsigned char)e->d_name[2]))
			strv_add(&chapters, e->d_name);
	closedir(d);
	if (chapters.n)
		qsort(chapters.v, chapters.n, sizeof *chapters.v, cmp_str);
	for (size_t c = 0; c < chapters.n; c++) {
		char *cdir = path_join(dir, chapters.v[c]);
		DIR *cd = opendir(cdir);
		if (!cd) {
			free(cdir);
			continue;
		}
		struct strv files = {0};
		while ((e = readdir(cd)))
			if (str_ends(e->d_name, ".recipe"))
				strv_add(&files, e->d_name);
		closedir(cd);
		if (files.n)
			qsort(files.v, files.n, sizeof *files.v, cmp_str);
		for (size_t i = 0; i < files.n; i++) {
			char *id = xasprintf("%s/%.*s", chapters.v[c], (int)(strlen(files.v[i]) - 7), files.v[i]);
			bool found = false;
			for (size_t k = 0; k < ntoc && !found; k++)
				found = !strcmp(toc[k].id, id);
			if (!found) {
				char *p = path_join(cdir, files.v[i]);
				err(errors, p, 1, "step %s is not listed in %s/toc: add it at the book's position", id, dir);
				free(p);
			}
			free(id);
		}
		strv_free(&files);
		free(cdir);
	}
	strv_free(&chapters);
}

double recipe_expected_sbu(const struct recipe *r, bool tests)
{
	if (r->sbu_here <= 0)
		return r->sbu;
	if (tests && r->test && r->sbu > r->sbu_here)
		return r->sbu;
	return r->sbu_here;
}

/* DIR/timings (optional): "STEP SBU" lines, the SBU each step took on the reference machine
 * without test suites (bench/report.py timings writes it from a build's stamps). */
static void load_timings(struct recipe_set *set, struct buf *errors)
{
	char *path = path_join(set->dir, "timings");
	char *text = read_file_optional(path, errors);
	if (!text) {
		free(path);
		return;
	}
	char *cur = text, *s;
	int lineno = 0;
	while ((s = recipe_next_entry(&cur, &lineno))) {
		char *val = split_key(s);   /* never NULL: "" when the line has one word */
		char *end = val;
		double v = *val ? strtod(val, &end) : 0;
		if (end == val || *str_trim(end) || !(v > 0)) {
			err(errors, path, lineno, "want STEP SBU (a step id and a positive number), not '%s%s%s'", s,
			    *val ? " " : "", val);
			continue;
		}
		int i = recipe_set_find(set, s);
		if (i < 0) {
			err(errors, path, lineno, "unknown step '%s' (no recipe for it in %s)", s, set->dir);
			continue;
		}
		set->steps[i].sbu_here = v;
	}
	free(text);
	free(path);
}

/* At most one step of a book is the SBU's reference (`sbu-reference yes`). */
static void check_sbu_reference(const struct recipe_set *set, struct buf *errors)
{
	const struct recipe *first = NULL;
	for (size_t i = 0; i < set->nsteps; i++) {
		const struct recipe *r = &set->steps[i];
		if (!r->sbu_reference)
			continue;
		if (first)
			err(errors, r->file, r->sbu_reference_line, "sbu-reference: %s is the SBU's reference already (one step only)", first->id);
		else
			first = r;
	}
}

int recipe_set_load(const char *dir, struct recipe_set *set)
{
	memset(set, 0, sizeof *set);
	set->dir = path_abs(dir);
	struct buf errors = {0};
	char *stages_path = path_join(set->dir, "stages");
	char *toc_path = path_join(set->dir, "toc");
	struct tocline *toc = NULL;
	size_t ntoc = 0;

	if (load_stages(stages_path, set, &errors) < 0)
		goto out;

	char *text = read_file(toc_path, NULL);
	if (!text) {
		buf_printf(&errors, "%s: cannot read: %s\n", toc_path, strerror(errno));
		goto out;
	}
	char *cur = text, *s;
	int lineno = 0;
	while ((s = recipe_next_entry(&cur, &lineno))) {
		if (!valid_id(s)) {
			err(&errors, toc_path, lineno, "'%s' is not a step id (chN/PAGE)", s);
			continue;
		}
		bool dup = false;
		for (size_t k = 0; k < ntoc; k++)
			if (!strcmp(toc[k].id, s)) {
				err(&errors, toc_path, lineno, "%s is listed twice (first on line %d)", s, toc[k].line);
				dup = true;
			}
		if (dup)
			continue;
		toc = xrealloc(toc, (ntoc + 1) * sizeof *toc);
		toc[ntoc++] = (struct tocline){xstrdup(s), lineno};
	}
	free(text);

	for (size_t i = 0; i < ntoc; i++) {
		char *rel = xasprintf("%s.recipe", toc[i].id);
		char *path = path_join(set->dir, rel);
		free(rel);
		char *body = read_file_optional(path, &errors);
		if (!body) {
			strv_add(&set->missing, toc[i].id);
			free(path);
			continue;
		}
		struct recipe r;
		recipe_parse(set, path, toc[i].id, body, &r, &errors);
		r.toc_line = toc[i].line;
		set->steps = xrealloc(set->steps, (set->nsteps + 1) * sizeof *set->steps);
		set->steps[set->nsteps++] = r;
		free(body);
		free(path);
	}
	check_untracked(set->dir, toc, ntoc, &errors);
	load_timings(set, &errors);
	check_sbu_reference(set, &errors);

	/* `after` names a step of the toc; the toc keeps the stages in order. */
	size_t maxstage = 0;
	const char *maxid = NULL;
	for (size_t i = 0; i < set->nsteps; i++) {
		struct recipe *r = &set->steps[i];
		for (size_t k = 0; k < r->nafter; k++) {
			bool found = false;
			for (size_t t = 0; t < ntoc && !found; t++)
				found = !strcmp(toc[t].id, r->after[k].id);
			if (!found)
				err(&errors, r->file, r->after[k].line, "after: unknown step '%s' (not in %s)",
				    r->after[k].id, toc_path);
		}
		if (r->stage < maxstage)
			err(&errors, toc_path, r->toc_line, "%s (stage %s) is listed after %s of the later stage %s",
			    r->id, set->stages[r->stage].name, maxid, set->stages[maxstage].name);
		else
			maxstage = r->stage, maxid = r->id;
	}
out:
	for (size_t i = 0; i < ntoc; i++)
		free(toc[i].id);
	free(toc);
	free(stages_path);
	free(toc_path);
	if (errors.len) {
		fputs(errors.data, stderr);
		buf_free(&errors);
		return -1;
	}
	return 0;
}

int recipe_set_check_sources(const struct recipe_set *set, const struct manifest *m)
{
	int bad = 0;
	for (size_t i = 0; i < set->nsteps; i++) {
		const struct recipe *r = &set->steps[i];
		for (size_t k = 0; k < r->sources.n; k++)
			if (!manifest_find(m, r->sources.v[k])) {
				fprintf(stderr, "%s:%d: unknown source '%s' (not in %s)\n", r->file, r->sources_line,
				        r->sources.v[k], m->path ? m->path : "book/sources");
				bad = 1;
			}
	}
	return bad ? -1 : 0;
}

void recipe_set_free(struct recipe_set *set)
{
	for (size_t i = 0; i < set->nstages; i++)
		stage_free(&set->stages[i]);
	free(set->stages);
	for (size_t i = 0; i < set->nsteps; i++)
		recipe_free(&set->steps[i]);
	free(set->steps);
	strv_free(&set->missing);
	for (size_t i = 0; i < set->nlayers; i++) {
		free(set->layers[i].name);
		free(set->layers[i].dir);
		free(set->layers[i].checks);
	}
	free(set->layers);
	free(set->dir);
	memset(set, 0, sizeof *set);
}

int recipe_set_open(const char *dir, struct recipe_set *set, struct manifest *m)
{
	memset(m, 0, sizeof *m);
	if (recipe_set_load(dir, set) < 0) {
		fprintf(stderr, "lfsbuild: the recipe set %s has errors (above); nothing was run\n", dir);
		recipe_set_free(set);
		return -1;
	}
	char *mpath = path_join(set->dir, "sources");
	if (path_exists(mpath)) {
		if (manifest_load(mpath, m) < 0 || recipe_set_check_sources(set, m) < 0) {
			fprintf(stderr, "lfsbuild: fix %s or the recipes (above); nothing was run\n", mpath);
			manifest_free(m);
			memset(m, 0, sizeof *m);
			recipe_set_free(set);
			free(mpath);
			return -1;
		}
	} else {
		bool any = false;
		for (size_t i = 0; i < set->nsteps && !any; i++)
			any = set->steps[i].sources.n > 0;
		if (any)
			warnx("%s: no such file, but recipes name sources (they cannot be built yet)", mpath);
	}
	free(mpath);
	if (set->missing.n)
		warnx("%zu step%s of %s/toc %s no recipe yet (the first: %s); the graph leaves %s out",
		      set->missing.n, set->missing.n == 1 ? "" : "s", set->dir, set->missing.n == 1 ? "has" : "have",
		      set->missing.v[0], set->missing.n == 1 ? "it" : "them");
	return 0;
}
