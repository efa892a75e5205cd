/* license: the licence files of the book and the layers (book/license.h). */
#include "book/license.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "book/manifest.h"
#include "book/recipe.h"
#include "lib/util.h"

#define LICENSES_FILE "licenses"

/* A word of an SPDX expression: an identifier (letters, digits, '.', '-', '+'; LicenseRef-...,
 * DocumentRef-...:), an operator (AND, OR, WITH) or parentheses around them. */
static bool spdx_word(const char *w)
{
	for (; *w; w++)
		if (!((*w >= 'A' && *w <= 'Z') || (*w >= 'a' && *w <= 'z') || (*w >= '0' && *w <= '9') ||
		      strchr(".-+:()", *w)))
			return false;
	return true;
}

void licenses_parse(const char *path, const char *text, const struct manifest *m, struct licenses *l,
                    struct buf *errors)
{
	char *copy = xstrdup(text), *cur = copy;
	int lineno = 0;
	while (cur) {
		char *line = cur, *nl = strchr(cur, '\n');
		cur = nl ? nl + 1 : NULL;
		if (nl)
			*nl = '\0';
		lineno++;
		char *hash = strchr(line, '#');
		if (hash)
			*hash = '\0';
		char *words[64];
		int n = split_words(line, words, 64);
		if (n == 0)
			continue;
		if (n == 1 || n > 63) {
			buf_file_error(errors, path, lineno, n == 1 ? "%s: no licence expression after the name"
			                                            : "%s: an expression of more than 62 words", words[0]);
			continue;
		}
		if (!manifest_find(m, words[0])) {
			buf_file_error(errors, path, lineno, "%s: no source of that name in the manifest", words[0]);
			continue;
		}
		if (licenses_find(l, words[0])) {
			buf_file_error(errors, path, lineno, "%s: a second line for this source", words[0]);
			continue;
		}
		struct buf expr = {0};
		bool good = true;
		for (int k = 1; k < n; k++) {
			good &= spdx_word(words[k]);
			buf_printf(&expr, "%s%s", k > 1 ? " " : "", words[k]);
		}
		if (!good) {
			buf_file_error(errors, path, lineno, "%s: '%s' is no SPDX licence expression", words[0], expr.data);
			buf_free(&expr);
			continue;
		}
		l->v = xrealloc(l->v, (l->n + 1) * sizeof *l->v);
		l->v[l->n++] = (struct license_entry){xstrdup(words[0]), expr.data};
	}
	free(copy);
}

int licenses_load(const struct recipe_set *set, const struct manifest *m, struct licenses *l)
{
	memset(l, 0, sizeof *l);
	struct buf errors = {0};
	for (size_t k = 0; k <= set->nlayers; k++) {
		char *path = path_join(k == 0 ? set->dir : set->layers[k - 1].dir, LICENSES_FILE);
		char *text = read_file_optional(path, &errors);
		if (text)
			licenses_parse(path, text, m, l, &errors);
		free(text);
		free(path);
	}
	if (errors.len) {
		fputs(errors.data, stderr);
		buf_free(&errors);
		licenses_free(l);
		return -1;
	}
	return 0;
}

const char *licenses_find(const struct licenses *l, const char *name)
{
	for (size_t k = 0; k < l->n; k++)
		if (!strcmp(l->v[k].source, name))
			return l->v[k].expression;
	return NULL;
}

void licenses_free(struct licenses *l)
{
	for (size_t k = 0; k < l->n; k++) {
		free(l->v[k].source);
		free(l->v[k].expression);
	}
	free(l->v);
	memset(l, 0, sizeof *l);
}
