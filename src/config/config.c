/* config: one table of options feeding getopt_long, the environment, the config file and --help. */
#include "config/config.h"

#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* K_OPT: a string whose argument is optional on the command line (`--icecream` alone is "on",
 * `--icecream=VALUE` gives one); elsewhere it is a plain string. */
enum kind { K_FLAG, K_COUNT, K_STR, K_INT, K_LIST, K_OPT };

struct optdef {
	const char *lng;
	int shrt;            /* 0: long only */
	enum kind kind;
	size_t off;          /* field in struct config */
	const char *arg;     /* argument name in --help */
	const char *env;     /* LFSBUILD_* variable or NULL */
	const char *cmds;    /* NULL: global; else the commands it belongs to, blank-separated */
	const char *help;
};

#define F(field) offsetof(struct config, field)
#define BUILD_CMDS "build all"

static const struct optdef opts[] = {
	{"dir", 'C', K_STR, F(workdir), "DIR", "LFSBUILD_DIR", NULL, "work directory (default ./lfs-work)"},
	{"sources", 0, K_STR, F(sources), "DIR", "LFSBUILD_SOURCES", NULL, "source cache (default WORKDIR/sources)"},
	{"book", 0, K_STR, F(bookdir), "DIR", "LFSBUILD_BOOK", NULL, "recipe set (default: book/ beside the program)"},
	{"jobs", 'j', K_INT, F(jobs), "N", "LFSBUILD_JOBS", NULL, "job slots, shared by all running steps (default: CPUs)"},
	{"verbose", 'v', K_COUNT, F(verbose), NULL, NULL, NULL, "say more (repeatable)"},
	{"quiet", 'q', K_FLAG, F(quiet), NULL, NULL, NULL, "say only what fails"},
	{"no-color", 0, K_FLAG, F(no_color), NULL, NULL, NULL, "no colours (NO_COLOR is honoured too)"},
	{"layer", 0, K_LIST, F(layers), "DIR", NULL, NULL,
	 "add the recipe directory DIR after the book (repeatable; docs/layers.md; kept in WORKDIR/state/settings)"},
	{"no-layers", 0, K_FLAG, F(no_layers), NULL, NULL, NULL, "without the kept layers (only those --layer gives; build and all forget the kept ones)"},

	{"mirror-dir", 0, K_LIST, F(mirror_dirs), "DIR", NULL, "fetch sources all", "look for source files in DIR first (repeatable)"},
	{"mirror", 0, K_LIST, F(mirrors), "URL", "LFSBUILD_MIRRORS", "fetch sources all", "try URL/FILE before upstream (repeatable)"},
	{"dry-run", 0, K_FLAG, F(dry_run), NULL, NULL, "fetch", "print where each file would come from"},
	{"verify", 0, K_FLAG, F(verify), NULL, NULL, "fetch all", "recheck every cached file, fetch again what fails"},

	{"dot", 0, K_FLAG, F(dot), NULL, NULL, "graph", "print the graph for Graphviz"},

	{"sequential", 0, K_FLAG, F(sequential), NULL, NULL, BUILD_CMDS, "run the steps one at a time in book order"},
	{"keep-going", 'k', K_FLAG, F(keep_going), NULL, NULL, BUILD_CMDS, "after a failure, go on with what does not depend on it"},
	{"explain", 0, K_STR, F(explain), "STEP", NULL, "build", "print the sandbox set-up, environment and command of STEP"},
	{"from", 0, K_STR, F(from), "STEP", NULL, BUILD_CMDS, "run STEP and everything after it again"},
	{"until", 0, K_STR, F(until), "STEP|STAGE", NULL, BUILD_CMDS, "stop after STEP, or after a stage or chapter (ch7)"},
	{"only", 0, K_STR, F(only), "STEP", NULL, "build", "run just STEP"},
	{"snapshots", 0, K_FLAG, F(snapshots), NULL, "LFSBUILD_SNAPSHOTS", BUILD_CMDS, "keep a snapshot of the root at each stage boundary"},
	{"tests", 0, K_FLAG, F(tests), NULL, NULL, BUILD_CMDS, "run the packages' test suites where the book does"},
	{"capture", 0, K_STR, F(capture), "on|off", "LFSBUILD_CAPTURE", BUILD_CMDS, "keep each step's writes apart and merge them into the root, with a file list (default off)"},
	{"cache", 0, K_STR, F(cache), "DIR", "LFSBUILD_CACHE", BUILD_CMDS, "with --capture on: the binary cache, package archives by input hash, looked up before a step runs and added to (default WORKDIR/packages)"},
	{"cache-url", 0, K_STR, F(cache_url), "URL", "LFSBUILD_CACHE_URL", BUILD_CMDS, "with --capture on: a read-only binary cache over HTTP(S), asked after --cache (URL/NAME.tar.zst)"},
	{"overcommit", 0, K_INT, F(overcommit), "N", "LFSBUILD_OVERCOMMIT", BUILD_CMDS,
	 "start up to N ready steps beyond the job slots while cores idle and /proc/pressure/cpu is low (default: none; docs/engine.md)"},
	{"build-tmpfs", 0, K_STR, F(build_tmpfs), "on|off|auto", "LFSBUILD_BUILD_TMPFS", BUILD_CMDS, "build trees on a tmpfs: auto when the `disk` line fits in memory (default auto)"},
	{"icecream", 0, K_OPT, F(icecream), "[=SCHEDULER]", "LFSBUILD_ICECREAM", BUILD_CMDS,
	 "compile through icecc: alone, the iceccd running here; =HOST[:PORT], lfsbuild's own iceccd with that scheduler; =/SOCKET, that iceccd (docs/engine.md)"},
	{"icecream-jobs", 0, K_INT, F(icecream_jobs), "N", "LFSBUILD_ICECREAM_JOBS", BUILD_CMDS,
	 "make -jN of a step that goes through icecc (default: 4 times -j)"},
	{"keep", 0, K_FLAG, F(keep), NULL, NULL, BUILD_CMDS, "keep the build directories of successful steps"},
	{"root-password", 0, K_STR, F(root_password), "PW", NULL, BUILD_CMDS, "root password of the new system (default: generated; kept in WORKDIR/root-password)"},
	/* The settings of the new system: kept in WORKDIR/state/settings (docs/engine.md), so a later
	 * build without them keeps them; an empty value goes back to the default. */
	{"hostname", 0, K_STR, F(hostname), "NAME", NULL, BUILD_CMDS, "host name of the new system (default lfs; kept in WORKDIR/state/settings)"},
	{"locales", 0, K_STR, F(locales), "LIST", NULL, BUILD_CMDS, "locales to generate (default \"C.UTF-8 en_US.UTF-8\"; kept)"},
	{"timezone", 0, K_STR, F(timezone), "ZONE", NULL, BUILD_CMDS, "time zone, a name under /usr/share/zoneinfo (default UTC; kept)"},
	{"keymap", 0, K_STR, F(keymap), "MAP", NULL, BUILD_CMDS, "console keymap of Kbd, e.g. de-latin1 (default us; kept)"},
	{"lang", 0, K_STR, F(lang), "LANG", NULL, BUILD_CMDS, "LANG of /etc/locale.conf, e.g. de_DE.UTF-8 (default: the first locale not C; kept)"},
	{"kernel-config", 0, K_STR, F(kernel_config), "FILE|defconfig|qemu", NULL, BUILD_CMDS, "the kernel's configuration: FILE (a .config, kept with its sha256), defconfig (x86_64 defconfig + the book's options) or qemu (the default: a kernel for the QEMU machine)"},

	{"follow", 'f', K_FLAG, F(follow), NULL, NULL, "log", "keep printing as the log grows"},

	{"root", 0, K_STR, F(image_root), "DIR", NULL, "image", "the tree to put on the disk (default WORKDIR/root)"},
	{"output", 'o', K_STR, F(output), "FILE", NULL, "image", "the image to write (default WORKDIR/lfs.qcow2)"},
	{"size", 0, K_STR, F(size), "SIZE", NULL, "image all", "virtual disk size (default 50G)"},
	/* the same name as image's -o (lfsbuild.conf's `output` is the image's) */
	{"output", 'o', K_STR, F(sbom_output), "FILE", NULL, "sbom", "the SBOM to write (default WORKDIR/lfs.cdx.json: beside the image)"},

	{"net", 0, K_FLAG, F(net), NULL, NULL, "boot", "give the guest a network (QEMU user mode)"},
	{"gui", 0, K_FLAG, F(gui), NULL, NULL, "boot", "open a window instead of the serial console"},
	{"memory", 0, K_STR, F(memory), "SIZE", NULL, "boot test all", "guest memory (default 2G)"},
	{"cpus", 0, K_INT, F(cpus), "N", NULL, "boot test all", "guest CPUs (default 2)"},
	{"cpu", 0, K_STR, F(cpu), "MODEL", NULL, "boot test all",
	 "guest CPU model (default qemu64, the x86-64 baseline the image is built for; max: all QEMU can)"},
	{"timeout", 0, K_INT, F(timeout), "SECONDS", NULL, "test all", "give up waiting for the guest after this long (default 600)"},
	{"checks", 0, K_STR, F(checks), "FILE", NULL, "test", "the check list to run in the guest (default BOOK/files/boot-test.checks)"},

	{"all", 0, K_FLAG, F(all), NULL, NULL, "clean", "also remove the root, the state, the snapshots and the image"},
	{"with-sources", 0, K_FLAG, F(with_sources), NULL, NULL, "clean", "with --all: also the source cache (kept otherwise)"},

	{"command", 'c', K_STR, F(shell_command), "COMMAND", NULL, "shell", "run COMMAND in the shell instead of an interactive shell; exit with its status"},

	{"bytes", 0, K_FLAG, F(du_bytes), NULL, NULL, "du", "sizes in bytes, tab-separated, no header (for scripts)"},
	{"dry-run", 0, K_FLAG, F(dry_run), NULL, NULL, "remove", "say what would be removed and kept; change nothing"},
	{"keep", 0, K_FLAG, F(keep), NULL, NULL, "repro", "keep the scratch copy WORKDIR/repro/STEP (its root, the first build, the rebuild)"},
	{"build-tmpfs", 0, K_STR, F(build_tmpfs), "on|off|auto", "LFSBUILD_BUILD_TMPFS", "repro", "the rebuild's build tree on a tmpfs, as in build (default auto)"},
};

static bool in_words(const char *words, const char *w)
{
	size_t n = strlen(w);
	for (const char *p = words; (p = strstr(p, w)); p += n)
		if ((p == words || p[-1] == ' ') && (p[n] == ' ' || p[n] == '\0'))
			return true;
	return false;
}

static bool applies(const struct optdef *o, const char *cmd)
{
	return !o->cmds || (cmd && in_words(o->cmds, cmd));
}

/* Which options were set on the command line or the environment: the config file leaves those. */
static bool set_by_user[ARRAY_LEN(opts)];
/* Which of them on the command line. */
static bool on_command_line[ARRAY_LEN(opts)];

/* Set option i from `arg` (given by `origin`: the command line, a variable, the config file).
 * 0, or -1 with "ORIGIN: --NAME wants ..." in errbuf. */
static int set_option(struct config *cfg, size_t i, const char *arg, const char *origin, char *errbuf, size_t errlen)
{
	const struct optdef *o = &opts[i];
	void *field = (char *)cfg + o->off;
	switch (o->kind) {
	case K_FLAG:
		*(bool *)field = true;
		break;
	case K_COUNT:
		(*(int *)field)++;
		break;
	case K_STR:
	case K_OPT:
		free(*(char **)field);
		*(char **)field = xstrdup(arg ? arg : "on");
		break;
	case K_INT: {
		char *end;
		errno = 0;
		long v = strtol(arg, &end, 10);
		if (errno || *end || end == arg || v < 1 || v > 4096)
			return set_error(errbuf, errlen, "%s: --%s wants a positive number, not '%s'", origin, o->lng, arg);
		*(int *)field = (int)v;
		break;
	}
	case K_LIST: {
		char *copy = xstrdup(arg), *save = NULL;
		for (char *w = strtok_r(copy, " \t\n", &save); w; w = strtok_r(NULL, " \t\n", &save))
			strv_add((struct strv *)field, w);
		free(copy);
		break;
	}
	}
	set_by_user[i] = true;
	on_command_line[i] = !strcmp(origin, "command line");
	return 0;
}

void config_init(struct config *cfg)
{
	memset(cfg, 0, sizeof *cfg);
	memset(set_by_user, 0, sizeof set_by_user);
	memset(on_command_line, 0, sizeof on_command_line);
	long n = sysconf(_SC_NPROCESSORS_ONLN);
	cfg->jobs = n > 0 ? (int)n : 1;
	cfg->cpus = 2;
	cfg->timeout = 600;
	for (size_t i = 0; i < ARRAY_LEN(opts); i++) {
		const char *v = opts[i].env ? getenv(opts[i].env) : NULL;
		if (!v || !*v)
			continue;
		if (opts[i].kind == K_FLAG && (!strcmp(v, "0") || !strcmp(v, "no")))
			continue;
		char err[256];
		if (set_option(cfg, i, v, opts[i].env, err, sizeof err) < 0) {
			fprintf(stderr, "lfsbuild: %s\n", err);
			exit(EXIT_USAGE);
		}
	}
	if (getenv("NO_COLOR") && *getenv("NO_COLOR"))
		cfg->no_color = true;
}

int config_parse(struct config *cfg, const char *cmd, int argc, char **argv, struct config_error *err)
{
	err->msg[0] = '\0';
	err->usage = false;
	struct option lo[ARRAY_LEN(opts) + 1];
	char so[2 + 3 * ARRAY_LEN(opts) + 1];
	size_t nl = 0, ns = 0;
	so[ns++] = cmd ? '-' : '+'; /* '-': operands in order as 1; '+': stop at the command name */
	so[ns++] = ':';
	for (size_t i = 0; i < ARRAY_LEN(opts); i++) {
		if (!applies(&opts[i], cmd))
			continue;
		bool has_arg = opts[i].kind == K_STR || opts[i].kind == K_INT || opts[i].kind == K_LIST;
		lo[nl++] = (struct option){opts[i].lng, opts[i].kind == K_OPT ? optional_argument : has_arg ? required_argument : no_argument,
		                           NULL, 1000 + (int)i};
		if (opts[i].shrt) {
			so[ns++] = (char)opts[i].shrt;
			if (has_arg)
				so[ns++] = ':';
		}
	}
	lo[nl] = (struct option){0};
	so[ns] = '\0';

	/* Operands are collected in order; with '-' getopt hands them to us as code 1. */
	char **operands = xcalloc((size_t)argc + 1, sizeof *operands);
	int nops = 0;
	optind = 0; /* glibc: 0 re-initialises getopt, needed for a second parse */
	opterr = 0;
	int c;
	while ((c = getopt_long(argc, argv, so, lo, NULL)) != -1) {
		if (c == 1) {
			operands[nops++] = optarg;
			continue;
		}
		if (c == '?' || c == ':') {
			const char *what = argv[optind - 1];
			if (c == '?')
				set_error(err->msg, sizeof err->msg, "unknown option '%s'%s",
				          optopt ? (char[]){'-', (char)optopt, 0} : what,
				          cmd ? "" : " (options of a command go after its name)");
			else
				set_error(err->msg, sizeof err->msg, "option '%s' needs an argument", what);
			err->usage = true;
			free(operands);
			return -1;
		}
		size_t i = (size_t)(c >= 1000 ? c - 1000 : 0);
		if (c < 1000) {
			for (i = 0; i < ARRAY_LEN(opts); i++)
				if (opts[i].shrt == c && applies(&opts[i], cmd))
					break;
		}
		if (set_option(cfg, i, optarg, "command line", err->msg, sizeof err->msg) < 0) {
			free(operands);
			return -1;
		}
	}
	int first = optind;
	if (cmd) {
		/* Put the operands (in order) at the end of argv, after the options. */
		for (int k = optind; k < argc; k++)
			operands[nops++] = argv[k];
		first = argc - nops;
		for (int k = 0; k < nops; k++)
			argv[first + k] = operands[k];
	}
	free(operands);
	return first;
}

/* The config file: "option = value" lines, '#' comments; options are the long names above. */
static void read_config_file(struct config *cfg, const char *path)
{
	char *text = read_file(path, NULL);
	if (!text)
		return;
	int lineno = 0;
	bool listed[ARRAY_LEN(opts)] = {0};   /* a list set by an earlier line of the file: add to it */
	for (char *save = NULL, *line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		lineno++;
		char *s = str_trim(line);
		if (!*s || *s == '#')
			continue;
		char *eq = strchr(s, '=');
		char *key = str_trim(eq ? (*eq = '\0', s) : s);
		const char *val = eq ? str_trim(eq + 1) : "";
		size_t i;
		for (i = 0; i < ARRAY_LEN(opts); i++)
			if (!strcmp(opts[i].lng, key))
				break;
		if (i == ARRAY_LEN(opts) || !strcmp(key, "dir")) {
			warnx("%s:%d: unknown option '%s' ignored", path, lineno, key);
			continue;
		}
		if (set_by_user[i] && !listed[i])
			continue;
		listed[i] = opts[i].kind == K_LIST;
		if (opts[i].kind == K_FLAG && (!strcmp(val, "no") || !strcmp(val, "0") || !strcmp(val, "false")))
			continue;
		char err[PATH_MAX + 256];
		if (set_option(cfg, i, val, path, err, sizeof err) < 0) {
			fprintf(stderr, "lfsbuild: %s\n", err);
			exit(EXIT_USAGE);
		}
	}
	free(text);
}

static char *program_dir(void)
{
	char exe[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
	if (n <= 0)
		return xstrdup(".");
	exe[n] = '\0';
	char *slash = strrchr(exe, '/');
	if (slash)
		*slash = '\0';
	return xstrdup(exe);
}

void config_finish(struct config *cfg)
{
	char *w = path_abs(cfg->workdir ? cfg->workdir : "lfs-work");
	free(cfg->workdir);
	cfg->workdir = w;
	char *conf = path_join(cfg->workdir, "lfsbuild.conf");
	read_config_file(cfg, conf);
	free(conf);
	char *s = cfg->sources ? path_abs(cfg->sources) : path_join(cfg->workdir, "sources");
	free(cfg->sources);
	cfg->sources = s;
	if (!cfg->bookdir) {
		char *dir = program_dir();
		cfg->bookdir = path_join(dir, "book");
		free(dir);
#ifdef LFSBUILD_BOOKDIR
		if (!is_dir(cfg->bookdir)) {
			free(cfg->bookdir);
			cfg->bookdir = xstrdup(LFSBUILD_BOOKDIR);
		}
#endif
	} else {
		char *b = path_abs(cfg->bookdir);
		free(cfg->bookdir);
		cfg->bookdir = b;
	}
	if (cfg->cache) {
		char *c = *cfg->cache ? path_abs(cfg->cache) : NULL;
		free(cfg->cache);
		cfg->cache = c;
	}
	if (!cfg->size)
		cfg->size = xstrdup("50G");
	if (!cfg->memory)
		cfg->memory = xstrdup("2G");
	if (!cfg->image_root)
		cfg->image_root = path_join(cfg->workdir, "root");
	if (!cfg->output)
		cfg->output = path_join(cfg->workdir, "lfs.qcow2");
	cfg->color = !cfg->no_color && isatty(STDERR_FILENO) && getenv("TERM") && strcmp(getenv("TERM"), "dumb");
}

char *config_path(const struct config *cfg, const char *sub)
{
	return path_join(cfg->workdir, sub);
}

bool config_on_command_line(const char *lng)
{
	for (size_t i = 0; i < ARRAY_LEN(opts); i++)
		if (!strcmp(opts[i].lng, lng))
			return on_command_line[i];
	return false;
}

const char *config_string(const struct config *cfg, const char *lng)
{
	for (size_t i = 0; i < ARRAY_LEN(opts); i++)
		if ((opts[i].kind == K_STR || opts[i].kind == K_OPT) && !strcmp(opts[i].lng, lng))
			return *(char *const *)((const char *)cfg + opts[i].off);
	return NULL;
}

void config_print_options(const char *cmd, FILE *out)
{
	for (size_t i = 0; i < ARRAY_LEN(opts); i++) {
		const struct optdef *o = &opts[i];
		if (cmd ? !o->cmds || !in_words(o->cmds, cmd) : o->cmds != NULL)
			continue;
		char left[64];
		const char *sep = o->arg && o->kind != K_OPT ? " " : "";
		if (o->shrt)
			snprintf(left, sizeof left, "-%c, --%s%s%s", o->shrt, o->lng, sep, o->arg ? o->arg : "");
		else
			snprintf(left, sizeof left, "    --%s%s%s", o->lng, sep, o->arg ? o->arg : "");
		fprintf(out, "  %-28s %s", left, o->help);
		if (o->env)
			fprintf(out, " [env %s]", o->env);
		fputc('\n', out);
	}
}

void config_free(struct config *cfg)
{
	for (size_t i = 0; i < ARRAY_LEN(opts); i++) {
		void *field = (char *)cfg + opts[i].off;
		if (opts[i].kind == K_STR || opts[i].kind == K_OPT)
			free(*(char **)field);
		else if (opts[i].kind == K_LIST)
			strv_free((struct strv *)field);
	}
	memset(cfg, 0, sizeof *cfg);
}
