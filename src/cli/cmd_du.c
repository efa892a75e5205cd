/* lfsbuild du: the root's regular files by the captured step that wrote each last (engine/pkgdb),
 * largest first, then what no captured step wrote, then the total. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/commands.h"
#include "book/layer.h"
#include "book/manifest.h"
#include "book/recipe.h"
#include "engine/pkgdb.h"

struct row {
	const char *name;
	unsigned long long bytes, files;
	size_t order;           /* ties: the order of the merges */
};

static int cmp_rows(const void *a, const void *b)
{
	const struct row *x = a, *y = b;
	if (x->bytes != y->bytes)
		return x->bytes > y->bytes ? -1 : 1;
	return x->order < y->order ? -1 : x->order > y->order;
}

static void print_row(const struct config *cfg, unsigned long long bytes, unsigned long long files, const char *name,
                      const char *human)
{
	if (cfg->du_bytes)
		printf("%llu\t%llu\t%s\n", bytes, files, name);
	else
		printf("%10s %8llu  %s\n", fmt_bytes((double)bytes), files, human ? human : name);
}

/* Lists left out (stale, or of removed steps): said on stderr, so that the sums are understood. */
static void say_left_out(const struct pkgdb *db)
{
	struct buf stale = {0};
	size_t nstale = 0;
	for (size_t i = 0; i < db->n; i++)
		if (db->lists[i].captured && db->lists[i].stale && nstale++ < 3)
			buf_printf(&stale, "%s%s", stale.len ? ", " : "", db->lists[i].id);
	if (nstale)
		warnx("%zu file list%s older than %s step's last build left out (%s%s): %s built again without --capture "
		      "on since, so %s files count as written by no captured step",
		      nstale, nstale == 1 ? "" : "s", nstale == 1 ? "its" : "their", stale.data, nstale > 3 ? ", ..." : "",
		      nstale == 1 ? "it was" : "they were", nstale == 1 ? "its" : "their");
	buf_free(&stale);
}

static int run(struct config *cfg, int argc, char **argv)
{
	(void)argv;
	if (argc > 0)
		return cli_usage_error(&cmd_du, "du takes no operands");
	char *root = config_path(cfg, "root");
	if (!is_dir(root)) {
		errorf("no root yet: %s does not exist (lfsbuild build makes it)", root);
		free(root);
		return EXIT_FAIL;
	}
	struct recipe_set set;
	struct manifest m;
	if (book_open(cfg->bookdir, &cfg->layers, &set, &m) < 0) {
		free(root);
		return EXIT_FAIL;
	}
	struct pkgdb db;
	struct pkg_usage u = {0};
	char err[1024];
	int rc = EXIT_FAIL;
	if (pkgdb_load(&db, cfg->workdir, &set, err, sizeof err) < 0) {
		errorf("%s", err);
		goto out_book;
	}
	if (pkgdb_usage(&db, root, &u, err, sizeof err) < 0) {
		errorf("%s", err);
		goto out;
	}
	struct row *rows = xcalloc(db.n + 1, sizeof *rows);
	size_t n = 0;
	for (size_t i = 0; i < db.n; i++)
		if (pkgdb_counts(&db, i))
			rows[n++] = (struct row){db.lists[i].id, u.bytes[i], u.files[i], i};
	if (n)
		qsort(rows, n, sizeof *rows, cmp_rows);
	if (!cfg->du_bytes)
		printf("%10s %8s  %s\n", "SIZE", "FILES", "STEP");
	for (size_t k = 0; k < n; k++)
		print_row(cfg, rows[k].bytes, rows[k].files, rows[k].name, NULL);
	print_row(cfg, u.other_bytes, u.other_files, "other", "(written by no captured step)");
	print_row(cfg, u.total_bytes, u.total_files, "total", "total: the regular files of the root");
	free(rows);
	say_left_out(&db);
	rc = EXIT_OK;
out:
	pkg_usage_free(&u);
	pkgdb_free(&db);
out_book:
	manifest_free(&m);
	recipe_set_free(&set);
	free(root);
	return rc;
}

const struct command cmd_du = {
	"du", "the root's size per captured step, largest first", "",
	"Adds up the regular files of WORKDIR/root (their apparent size, as lstat gives it: no link\n"
	"followed, a file with several hard links counted once) by the step that wrote each one LAST,\n"
	"from the file lists of the steps built with --capture on (docs/engine.md, \"Capture\"). The\n"
	"order of the writes is the order of the merges: a step's file list is written just before its\n"
	"merge and the merges run one at a time, so of the lists that name a path, the one modified\n"
	"last wins (a later deletion takes the path from every earlier step). Then one line for what no\n"
	"captured step wrote (chapter 4, `capture no` steps such as ch8/stripping write the root\n"
	"directly; a file whose last list says it is no regular file), and the total of the root's\n"
	"regular files, which is the sum of the lines above. A step's files count as they are in the\n"
	"root now (stripped, say), not as its list recorded them. Removed steps (lfsbuild remove) own\n"
	"nothing; a list older than its step's last build (built again without --capture on) is left\n"
	"out, with a warning. Works while a build runs or after it stopped half-way: it reads the lists\n"
	"and the root as they are.\n\n"
	"Columns: SIZE (KiB, MiB, ...: powers of 1024), FILES, STEP. With --bytes, for scripts: no\n"
	"header, tab-separated BYTES, FILES, then the step id, `other` or `total`.",
	run,
};
