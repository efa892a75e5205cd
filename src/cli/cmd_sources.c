/* lfsbuild sources: list every source of the book with its origin and cache state */
#include "cli/commands.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sources/fetch.h"
#include "book/layer.h"
#include "book/manifest.h"

static int run(struct config *cfg, int argc, char **argv)
{
	struct manifest m;
	if (manifest_load_layers(cfg->bookdir, &cfg->layers, &m) < 0)
		return EXIT_FAIL;
	for (int i = 0; i < argc; i++)
		if (!manifest_find(&m, argv[i])) {
			int u = cli_usage_error(&cmd_sources, "unknown source '%s'", argv[i]);
			manifest_free(&m);
			return u;
		}
	struct strv apt = {0};
	struct fetch_places pl;
	fetch_places_init(cfg, &pl, &apt);
	struct source_state *st = xcalloc(m.n, sizeof *st);
	int w[3] = {4, 7, 4};
	for (size_t i = 0; i < m.n; i++) {
		const struct source *s = &m.src[i];
		bool want = argc == 0;
		for (int k = 0; k < argc; k++)
			want |= !strcmp(argv[k], s->name);
		if (!want)
			continue;
		fetch_source_state(&pl, s, &st[i]);
		const char *cols[3] = {s->name, st[i].origin ? st[i].origin->version : "-", st[i].file ? st[i].file : "-"};
		for (int c = 0; c < 3; c++)
			if ((int)strlen(cols[c]) > w[c])
				w[c] = (int)strlen(cols[c]);
	}
	printf("%-*s  %-*s  %-*s  %-10s  %-6s  %s\n", w[0], "NAME", w[1], "VERSION", w[2], "FILE", "ORIGIN", "CACHED",
	       "VERIFIED");
	for (size_t i = 0; i < m.n; i++) {
		const struct source *s = &m.src[i];
		if (!st[i].origin)
			continue;
		printf("%-*s  %-*s  %-*s  %-10s  %-6s  %s\n", w[0], s->name, w[1], st[i].origin->version, w[2],
		       st[i].file, provider_name(st[i].from), st[i].cached ? "yes" : "no", st[i].verified ? "yes" : "no");
		free(st[i].where);
	}
	free(st);
	strv_free(&apt);
	manifest_free(&m);
	return EXIT_OK;
}

const struct command cmd_sources = {
	"sources", "list every source of the book with its origin and cache state", "[NAME...]",
	"One line per source (or per NAME): name, the version of the file (where Debian pins another version "
	"than the book's, that one), the file a recipe unpacks, the origin it comes from (cache, mirror-dir, mirror, upstream, debian: the first place that would be tried, "
	"without using the network), whether it is in the cache, and whether it was verified (a stamp "
	"written after its checksums matched; `lfsbuild fetch` verifies what is not).",
	run,
};
