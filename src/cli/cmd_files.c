/* lfsbuild files STEP: what a captured step installed, changed and deleted (its file list,
 * WORKDIR/packages/<flat id>.files, written before its merge; docs/engine.md, "Capture").
 * lfsbuild owner PATH...: which steps' file lists name a path. */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/commands.h"
#include "engine/capture.h"

/* The fields of a list line: what type mode uid gid size sha256 target path (path unescaped). */
struct entry {
	char *f[9];
};

static bool parse_line(char *line, struct entry *e)
{
	size_t n = 0;
	for (char *c = line; c && n < 9; n++) {
		e->f[n] = c;
		c = strchr(c, '\t');
		if (c)
			*c++ = '\0';
	}
	if (n != 9)
		return false;
	capture_unescape(e->f[7]);
	capture_unescape(e->f[8]);
	return true;
}

/* Print the entries of one kind ("new", "changed", "deleted"; "replaced" goes with "changed"). */
static void print_kind(const char *text, const char *title, const char *what)
{
	char *copy = xstrdup(text), *save = NULL;
	unsigned long long bytes = 0;
	size_t count = 0;
	struct buf out = {0};
	for (char *l = strtok_r(copy, "\n", &save); l; l = strtok_r(NULL, "\n", &save)) {
		struct entry e;
		if (l[0] == '#' || !parse_line(l, &e))
			continue;
		bool match = !strcmp(e.f[0], what) || (!strcmp(what, "changed") && !strcmp(e.f[0], "replaced"));
		if (!match)
			continue;
		count++;
		if (!strcmp(what, "deleted")) {
			buf_printf(&out, "  %s\n", e.f[8]);
			continue;
		}
		unsigned long long size = strtoull(e.f[5], NULL, 10);
		bytes += size;
		buf_printf(&out, "  %s %s %s:%s %10s  %s%s%s%s\n", e.f[1], e.f[2], e.f[3], e.f[4],
		           e.f[1][0] == 'f' ? fmt_bytes((double)size) : "-", e.f[8], e.f[1][0] == 'l' ? " -> " : "",
		           e.f[1][0] == 'l' ? e.f[7] : "", !strcmp(e.f[0], "replaced") ? " (replaced: its old content removed)" : "");
	}
	if (count) {
		printf("%s (%zu%s%s):\n%s", title, count, bytes ? ", " : "", bytes ? fmt_bytes((double)bytes) : "", out.data);
	}
	buf_free(&out);
	free(copy);
}

static int run_files(struct config *cfg, int argc, char **argv)
{
	if (argc != 1)
		return cli_usage_error(&cmd_files, argc ? "one STEP only" : "which step? (e.g. ch8/zlib)");
	const char *id = argv[0];
	if (strstr(id, "..") || id[0] == '/')
		return cli_usage_error(&cmd_files, "'%s' is not a step id", id);
	char *path = capture_list_path(cfg->workdir, id);
	char *text = read_file(path, NULL);
	if (!text) {
		errorf("no file list for %s: %s (it is written when a step built with --capture on succeeds)", id, path);
		free(path);
		return EXIT_FAIL;
	}
	printf("%s (%s)\n", id, path);
	if (strstr(text, ": not captured")) {
		char *nl = strchr(text, '\n');
		printf("%.*s\n", nl ? (int)(nl - text) : (int)strlen(text), text);
	} else {
		print_kind(text, "installed", "new");
		print_kind(text, "changed", "changed");
		print_kind(text, "deleted", "deleted");
	}
	free(text);
	free(path);
	return EXIT_OK;
}

const struct command cmd_files = {
	"files", "list what a captured step installed, changed and deleted", "STEP",
	"Prints the file list of STEP (WORKDIR/packages/STEP.files, '/' as '_'), written before the\n"
	"step's writes were merged into the root when it was built with --capture on: what it\n"
	"installed (type, mode, owner, size, path), what it changed (a file or directory the root had\n"
	"already; a directory 'replaced' lost its old content) and what it deleted. A step built with\n"
	"`capture no` in its recipe says \"not captured\".",
	run_files,
};

/* Does a file list name `rel`? Prints "STEP: WHAT" for it. */
static bool owner_in(const char *text, const char *rel)
{
	char *copy = xstrdup(text), *save = NULL, *first = strtok_r(copy, "\n", &save);
	const char *step = first ? strstr(first, "file list of ") : NULL;
	bool found = false;
	for (char *l = strtok_r(NULL, "\n", &save); l && step; l = strtok_r(NULL, "\n", &save)) {
		struct entry e;
		if (parse_line(l, &e) && !strcmp(e.f[8], rel)) {
			const char *colon = strchr(step + 13, ':');
			printf("%s: %.*s %s\n", rel, colon ? (int)(colon - step - 13) : 0, step + 13, e.f[0]);
			found = true;
		}
	}
	free(copy);
	return found;
}

static int run_owner(struct config *cfg, int argc, char **argv)
{
	if (argc < 1)
		return cli_usage_error(&cmd_owner, "which path? (e.g. /usr/bin/gcc)");
	char *dir = path_join(cfg->workdir, "packages");
	struct strv lists = {0};
	DIR *d = opendir(dir);
	struct dirent *e;
	while (d && (e = readdir(d)))
		if (str_ends(e->d_name, ".files"))
			strv_push(&lists, path_join(dir, e->d_name));
	if (d)
		closedir(d);
	int rc = EXIT_OK;
	for (int i = 0; i < argc; i++) {
		const char *rel = argv[i];
		while (*rel == '/')
			rel++;
		bool found = false;
		for (size_t k = 0; k < lists.n; k++) {
			char *text = read_file(lists.v[k], NULL);
			if (text)
				found |= owner_in(text, rel);
			free(text);
		}
		if (!found) {
			printf("/%s: not written by a captured step\n", rel);
			rc = EXIT_FAIL;
		}
	}
	strv_free(&lists);
	free(dir);
	return rc;
}

const struct command cmd_owner = {
	"owner", "which captured steps wrote a path", "PATH...",
	"Looks PATH (as the new system sees it, e.g. /usr/bin/gcc) up in the file lists of the steps\n"
	"built with --capture on (WORKDIR/packages/*.files) and prints each step that created,\n"
	"changed or deleted it, in no particular order (the later merge won). A path no list names:\n"
	"\"not written by a captured step\" (exit status 1).",
	run_owner,
};
