/* apt: read mirror URIs from the host's apt sources (one-line and deb822 formats). */
#include "sources/apt.h"

#include <dirent.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static bool uri_ok(const char *u)
{
	return str_starts(u, "http://") || str_starts(u, "https://") || str_starts(u, "ftp://") ||
	       str_starts(u, "file:/");
}

static void add_uri(struct strv *uris, const char *u)
{
	if (!uri_ok(u))
		return;
	char *s = xstrdup(u);
	size_t n = strlen(s);
	while (n > 1 && s[n - 1] == '/')
		s[--n] = '\0';
	if (strv_contains(uris, s))
		free(s);
	else
		strv_push(uris, s);
}

void apt_parse_list(const char *text, struct strv *uris)
{
	char *copy = xstrdup(text), *save = NULL;
	for (char *line = strtok_r(copy, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		char *hash = strchr(line, '#');
		if (hash)
			*hash = '\0';
		char *w[64];
		int n = split_words(line, w, (int)ARRAY_LEN(w));
		if (n < 2 || n > (int)ARRAY_LEN(w) || (strcmp(w[0], "deb") && strcmp(w[0], "deb-src")))
			continue;
		int i = 1;
		if (w[i][0] == '[') {   /* options: [ arch=amd64 signed-by=... ] */
			while (i < n && !strchr(w[i], ']'))
				i++;
			i++;
		}
		if (i < n)
			add_uri(uris, w[i]);
	}
	free(copy);
}

/* One deb822 stanza, given as its fields; the URIs of an enabled deb/deb-src stanza are added. */
static void stanza_done(struct buf *types, struct buf *list, bool enabled, struct strv *uris)
{
	bool deb = false;
	if (types->data) {
		char *t = xstrdup(types->data), *save = NULL;
		for (char *w = strtok_r(t, " \t", &save); w; w = strtok_r(NULL, " \t", &save))
			if (!strcmp(w, "deb") || !strcmp(w, "deb-src"))
				deb = true;
		free(t);
	}
	if (deb && enabled && list->data) {
		char *t = xstrdup(list->data), *save = NULL;
		for (char *w = strtok_r(t, " \t", &save); w; w = strtok_r(NULL, " \t", &save))
			add_uri(uris, w);
		free(t);
	}
	buf_free(types);
	buf_free(list);
}

void apt_parse_deb822(const char *text, struct strv *uris)
{
	struct buf types = {0}, list = {0};
	struct buf *cont = NULL;    /* the field a continuation line adds to */
	bool enabled = true;
	char *copy = xstrdup(text);
	char *line = copy;
	while (line) {
		char *nl = strchr(line, '\n');
		if (nl)
			*nl = '\0';
		if (line[0] == '#') {
			/* a comment line: skipped, it does not end the stanza */
		} else if (!*str_trim(line)) {
			stanza_done(&types, &list, enabled, uris);
			enabled = true;
			cont = NULL;
		} else if (line[0] == ' ' || line[0] == '\t') {
			if (cont) {
				buf_puts(cont, " ");
				buf_puts(cont, str_trim(line));
			}
		} else {
			char *colon = strchr(line, ':');
			cont = NULL;
			if (colon) {
				*colon = '\0';
				char *key = str_trim(line), *val = str_trim(colon + 1);
				if (!strcasecmp(key, "Types"))
					cont = &types;
				else if (!strcasecmp(key, "URIs"))
					cont = &list;
				else if (!strcasecmp(key, "Enabled"))
					enabled = !(!strcasecmp(val, "no") || !strcasecmp(val, "false") || !strcmp(val, "0"));
				if (cont) {
					buf_free(cont);
					buf_puts(cont, val);
				}
			}
		}
		line = nl ? nl + 1 : NULL;
	}
	stanza_done(&types, &list, enabled, uris);
	free(copy);
}

static int by_name(const struct dirent **a, const struct dirent **b)
{
	return strcmp((*a)->d_name, (*b)->d_name);
}

int apt_mirror_uris(const char *root, struct strv *uris)
{
	size_t before = uris->n;
	if (!root)
		root = "";
	char *path = xasprintf("%s/etc/apt/sources.list", root);
	char *text = read_file(path, NULL);
	if (text)
		apt_parse_list(text, uris);
	free(text);
	free(path);
	char *dir = xasprintf("%s/etc/apt/sources.list.d", root);
	struct dirent **ents = NULL;
	int n = scandir(dir, &ents, NULL, by_name);
	for (int i = 0; i < n; i++) {
		const char *name = ents[i]->d_name;
		bool list = str_ends(name, ".list"), deb822 = str_ends(name, ".sources");
		if ((list || deb822) && name[0] != '.') {
			char *p = path_join(dir, name);
			char *t = read_file(p, NULL);
			if (t && list)
				apt_parse_list(t, uris);
			else if (t)
				apt_parse_deb822(t, uris);
			free(t);
			free(p);
		}
		free(ents[i]);
	}
	free(ents);
	free(dir);
	return (int)(uris->n - before);
}
