/* lfsbuild files STEP: what a captured step installed, changed and deleted (its file list,
 * WORKDIR/packages/<flat id>.files, written before its merge; docs/engine.md, "Capture").
 * lfsbuild owner PATH...: which steps' file lists name a path. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "cli/commands.h"
#include "engine/capture.h"
#include "state/state.h"

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

/* A step whose list says "not captured": its id and the window it ran in (from its stamp). */
struct uncaptured {
	char *id;
	double start, end;
};

/* When `rel` came into the root (its birth time, else its last status change), looked up as the
 * new system sees the path: every link resolved inside the root (openat2 RESOLVE_IN_ROOT), never
 * on the host. 1 with *when, 0 when the root has no such path, -1 when it cannot be looked at. */
static int made_when(const char *workdir, const char *rel, double *when)
{
	char *root = path_join(workdir, "root");
	int rfd = open(root, O_PATH | O_DIRECTORY | O_CLOEXEC);
	free(root);
	if (rfd < 0)
		return -1;
	struct open_how how = {.flags = O_PATH | O_NOFOLLOW | O_CLOEXEC, .resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS};
	int fd = (int)syscall(SYS_openat2, rfd, *rel ? rel : ".", &how, sizeof how);
	int e = errno;
	close(rfd);
	if (fd < 0)
		return e == ENOENT || e == ENOTDIR ? 0 : -1;
	struct statx sx;
	int r = statx(fd, "", AT_EMPTY_PATH | AT_SYMLINK_NOFOLLOW, STATX_BTIME | STATX_CTIME, &sx);
	close(fd);
	if (r < 0)
		return -1;
	struct statx_timestamp t = (sx.stx_mask & STATX_BTIME) ? sx.stx_btime : sx.stx_ctime;
	*when = (double)t.tv_sec + t.tv_nsec / 1e9;
	return 1;
}

/* A path no file list names: not in the root; or in it, made while a step without a file list
 * ran (`capture no`, or built without capture); or made by none of them: by lfsbuild (the
 * sandbox's mount points, its own files) or by hand. */
static void owner_unknown(struct config *cfg, const char *rel, const struct uncaptured *u, size_t nu)
{
	double when = 0;
	int got = made_when(cfg->workdir, rel, &when);
	if (got == 0) {
		printf("/%s: not in the root, and no step's file list names it\n", rel);
		return;
	}
	if (got < 0) {
		int e = errno;
		printf("/%s: no step's file list names it (the root's entry cannot be looked at: %s)\n", rel, strerror(e));
		return;
	}
	char at[32];
	time_t tt = (time_t)when;
	strftime(at, sizeof at, "%Y-%m-%d %H:%M:%S", localtime(&tt));
	for (size_t k = 0; k < nu; k++)
		if (when >= u[k].start - 1 && when <= u[k].end + 1) {
			printf("/%s: no step's file list names it; made %s, while %s ran, a step without a file list "
			       "(`lfsbuild files %s` says why)\n", rel, at, u[k].id, u[k].id);
			return;
		}
	printf("/%s: no step's file list names it; made %s, while no step without a file list ran: by lfsbuild "
	       "itself (a mount point of the sandbox, a file of its own) or by hand\n", rel, at);
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
	/* every list read once; the steps whose lists say "not captured", with when they ran */
	char **texts = xcalloc(lists.n + 1, sizeof *texts);
	struct uncaptured *u = xcalloc(lists.n + 1, sizeof *u);
	size_t nu = 0;
	for (size_t k = 0; k < lists.n; k++) {
		char *text = texts[k] = read_file(lists.v[k], NULL), *of = text ? strstr(text, "file list of ") : NULL;
		char *colon = of ? strstr(of, ": not captured (") : NULL, *nl = text ? strchr(text, '\n') : NULL;
		struct stamp st;
		if (colon && (!nl || colon < nl)) {
			char *id = xstrndup(of + 13, (size_t)(colon - of - 13));
			if (stamp_read(cfg->workdir, id, &st) == 0) {
				u[nu++] = (struct uncaptured){id, st.start, st.start + st.wall};
				stamp_free(&st);
			} else {
				free(id);
			}
		}
	}
	int rc = EXIT_OK;
	for (int i = 0; i < argc; i++) {
		const char *rel = argv[i];
		while (*rel == '/')
			rel++;
		bool found = false;
		for (size_t k = 0; k < lists.n; k++)
			if (texts[k])
				found |= owner_in(texts[k], rel);
		if (!found) {
			owner_unknown(cfg, rel, u, nu);
			rc = EXIT_FAIL;
		}
	}
	for (size_t k = 0; k < lists.n; k++)
		free(texts[k]);
	free(texts);
	for (size_t k = 0; k < nu; k++)
		free(u[k].id);
	free(u);
	strv_free(&lists);
	free(dir);
	return rc;
}

const struct command cmd_owner = {
	"owner", "which captured steps wrote a path", "PATH...",
	"Looks PATH (as the new system sees it, e.g. /usr/bin/gcc) up in the file lists of the steps\n"
	"built with --capture on (WORKDIR/packages/*.files) and prints each step that created,\n"
	"changed or deleted it, in no particular order (the later merge won). A path no list names\n"
	"(exit status 1) is said to be not in the root, or made while a step without a file list ran\n"
	"(`capture no`, or built without --capture on: named, by the time the root's entry was made),\n"
	"or made by lfsbuild itself (the sandbox's mount points) or by hand.",
	run_owner,
};
