/* lfsbuild test: boot the image headless, log in and run the checks */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/commands.h"
#include "book/diskids.h"
#include "disk/image.h"
#include "disk/qemu.h"
#include "lib/util.h"

/* One check of the list (book/files/boot-test.checks; format in that file and docs/image.md). */
struct check {
	char *name, *run, *expect, *contains;
	int timeout, line;
};

static void free_checks(struct check *c, int n)
{
	for (int i = 0; i < n; i++) {
		free(c[i].name);
		free(c[i].run);
		free(c[i].expect);
		free(c[i].contains);
	}
	free(c);
}

/* Parse the check list; NULL after printing file:line: reason. */
static struct check *load_checks(const char *path, int *count)
{
	char *text = read_file(path, NULL);
	if (!text) {
		errorf("cannot read the check list %s:", path);
		return NULL;
	}
	struct check *c = NULL;
	int n = 0, lineno = 0, bad = 0;
	for (char *p = text, *nl; p && *p; p = nl ? nl + 1 : NULL) {
		nl = strchr(p, '\n');
		if (nl)
			*nl = '\0';
		lineno++;
		char *s = str_trim(p);
		if (!*s || *s == '#')
			continue;
		size_t kl = strcspn(s, " \t");
		char *val = str_trim(s + kl);
		s[kl] = '\0';
		if (!strcmp(s, "check")) {
			c = xrealloc(c, sizeof *c * (size_t)(n + 1));
			c[n++] = (struct check){.name = xstrdup(val), .timeout = 120, .line = lineno};
			continue;
		}
		if (!n) {
			fprintf(stderr, "%s:%d: '%s' before the first 'check NAME' line\n", path, lineno, s);
			bad = 1;
			continue;
		}
		struct check *k = &c[n - 1];
		char **field = !strcmp(s, "run") ? &k->run : !strcmp(s, "expect") ? &k->expect
		             : !strcmp(s, "contains") ? &k->contains : NULL;
		if (field) {
			if (*field) {
				fprintf(stderr, "%s:%d: a second '%s' line in check '%s'\n", path, lineno, s, k->name);
				bad = 1;
			}
			free(*field);
			*field = xstrdup(val);
		} else if (!strcmp(s, "timeout")) {
			k->timeout = atoi(val);
			if (k->timeout <= 0) {
				fprintf(stderr, "%s:%d: timeout wants seconds, not '%s'\n", path, lineno, val);
				bad = 1;
			}
		} else {
			fprintf(stderr, "%s:%d: unknown key '%s' (check, run, expect, contains, timeout)\n", path, lineno, s);
			bad = 1;
		}
	}
	for (int i = 0; i < n; i++)
		if (!c[i].run) {
			fprintf(stderr, "%s:%d: check '%s' has no 'run' line\n", path, c[i].line, c[i].name);
			bad = 1;
		}
	free(text);
	if (bad || !n) {
		if (!n && !bad)
			fprintf(stderr, "%s: no checks in it\n", path);
		free_checks(c, n);
		return NULL;
	}
	*count = n;
	return c;
}

/* ${NAME} from vars ("NAME=value" strings); NULL and *missing set when one is unknown. */
static char *expand(const char *s, const struct strv *vars, char **missing)
{
	struct buf b = {0};
	buf_puts(&b, "");
	for (const char *p = s; *p;) {
		const char *q = strstr(p, "${");
		const char *e = q ? strchr(q, '}') : NULL;
		if (!q || !e) {
			buf_puts(&b, p);
			break;
		}
		buf_add(&b, p, (size_t)(q - p));
		char *name = xstrndup(q + 2, (size_t)(e - q - 2));
		const char *val = NULL;
		for (size_t i = 0; i < vars->n; i++)
			if (str_starts(vars->v[i], name) && vars->v[i][strlen(name)] == '=')
				val = vars->v[i] + strlen(name) + 1;
		if (!val) {
			*missing = name;
			buf_free(&b);
			return NULL;
		}
		free(name);
		buf_puts(&b, val);
		p = e + 1;
	}
	return b.data;
}

static bool has_line(const char *out, const char *want)
{
	size_t n = strlen(want);
	for (const char *p = out; p; p = strchr(p, '\n') ? strchr(p, '\n') + 1 : NULL) {
		const char *e = strchr(p, '\n');
		size_t len = e ? (size_t)(e - p) : strlen(p);
		while (len && (p[len - 1] == ' ' || p[len - 1] == '\t'))
			len--;
		if (len == n && !memcmp(p, want, n))
			return true;
	}
	return false;
}

static void print_indented(const char *label, const char *text)
{
	printf("    %s", label);
	for (const char *p = text; *p; p++) {
		putchar(*p);
		if (*p == '\n' && p[1])
			printf("    %*s", (int)strlen(label), "");
	}
	putchar('\n');
}

/* Log in as root on the serial console; 0 or -1 after saying why. */
static int login(struct qemu_session *s, const char *password, int timeout, const char *transcript)
{
	const char *const prompt[] = {"login:"};
	int r = qemu_expect(s, prompt, 1, timeout);
	if (r != 0) {
		errorf("no login prompt on the serial console %s; see %s%s%s",
		       r == -2 ? "before QEMU exited" : "in time (--timeout)", transcript,
		       *qemu_stderr(s) ? "; QEMU said: " : "", qemu_stderr(s));
		return -1;
	}
	printf("boot-test: login prompt after %.1f s\n", qemu_elapsed(s));
	fflush(stdout);
	qemu_note(s, "login prompt after %.1f s", qemu_elapsed(s)); /* for bench/all.sh */
	qemu_send(s, "root\r");
	const char *const pw[] = {"assword:"};
	r = qemu_expect(s, pw, 1, password ? 60 : 20);
	if (r == -2)
		return errorf("QEMU exited during the login; see %s", transcript);
	if (r == 0) {
		char *line = xasprintf("%s\r", password ? password : "");
		qemu_send(s, line);
		free(line);
	}
	/* Until a shell answers: type a line that prints a marker (its echo does not match it). */
	const char *const ready[] = {"__LFSREADY__", "incorrect"};
	for (double end = now_mono() + 90; now_mono() < end;) {
		qemu_send(s, "stty -echo 2>/dev/null; printf '__LFS%s__\\n' READY\r");
		r = qemu_expect(s, ready, 2, 5);
		if (r == 0)
			return 0;
		if (r == 1)
			return errorf("root login refused on the serial console (%s); see %s",
			              password ? "the password of WORKDIR/root-password" : "no password tried", transcript);
		if (r == -2)
			return errorf("QEMU exited during the login; see %s", transcript);
	}
	return errorf("no shell after logging in as root; see %s", transcript);
}

/* The disk's ids as variables of the checks (${ESP_PARTUUID}, ...), when `idfile`
 * (WORKDIR/state/disk.conf) exists. 0, or -1 after saying what failed. */
static int disk_vars(const struct config *cfg, const char *idfile, struct strv *vars)
{
	if (!path_exists(idfile))
		return 0;
	struct disk_ids ids;
	if (disk_ids_load(cfg, &ids) < 0)
		return -1;
	strv_push(vars, xasprintf("DISK_GUID=%s", ids.disk));
	strv_push(vars, xasprintf("ESP_PARTUUID=%s", ids.esp));
	strv_push(vars, xasprintf("ROOT_PARTUUID=%s", ids.root));
	strv_push(vars, xasprintf("ROOT_FS_UUID=%s", ids.root_fs));
	return 0;
}

/* The first line of WORKDIR/root-password (malloc'd), or NULL: then root without a password. */
static char *root_password(const char *pwfile)
{
	char *password = read_file(pwfile, NULL);
	if (password)
		password[strcspn(password, "\r\n")] = '\0';
	else
		printf("boot-test: no %s: trying root without a password\n", pwfile);
	return password;
}

/* Quiet the kernel on the console, no pagers, no colours. */
static void quiet_shell(struct qemu_session *s)
{
	struct buf junk = {0};
	int st;
	qemu_run(s, "dmesg -n 1 2>/dev/null; unset PROMPT_COMMAND; PS1='# ' PS2=''; "
	         "export PAGER=cat SYSTEMD_PAGER=cat SYSTEMD_COLORS=0 TERM=dumb LC_ALL=C", 30,
	         &junk, &st);
	buf_free(&junk);
}

/* One check with its variables expanded, and what it gave. */
struct attempt {
	char *missing;          /* the first ${VAR} without a value (then nothing ran) */
	char *cmd, *want, *sub; /* run, expect, contains expanded */
	struct buf out;
	int status, r;          /* exit status; qemu_run's result (-1 timed out, -2 QEMU exited) */
	const char *why;        /* NULL: passed */
};

/* Run the check (unless a variable is missing) and judge its output. */
static void attempt_check(struct qemu_session *s, const struct check *k, const struct strv *vars, struct attempt *a)
{
	*a = (struct attempt){.status = -1};
	a->cmd = expand(k->run, vars, &a->missing);
	a->want = a->cmd && k->expect ? expand(k->expect, vars, &a->missing) : NULL;
	a->sub = a->cmd && k->contains && !a->missing ? expand(k->contains, vars, &a->missing) : NULL;
	buf_puts(&a->out, "");
	if (a->missing) {
		a->why = "unknown variable";
		return;
	}
	qemu_note(s, "check: %s", k->name);
	a->r = qemu_run(s, a->cmd, k->timeout, &a->out, &a->status);
	if (a->r == -1)
		a->why = "timed out";
	else if (a->r == -2)
		a->why = "QEMU exited";
	else if (a->status != 0)
		a->why = "non-zero exit status";
	else if (a->want && !has_line(a->out.data, a->want))
		a->why = "no line equal to the expected text";
	else if (a->sub && !strstr(a->out.data, a->sub))
		a->why = "the expected text is missing";
}

/* Why a check failed: the reason, the command, what was wanted, the output. */
static void print_failure(const struct check *k, const struct attempt *a, const char *idfile)
{
	printf("    why: %s", a->why);
	if (a->missing)
		printf(" ${%s} (%s has no value for it)\n", a->missing, idfile);
	else if (a->r == 0)
		printf(", exit status %d\n", a->status);
	else
		printf(" after %d s\n", k->timeout);
	print_indented("command: ", a->cmd ? a->cmd : k->run);
	if (a->want)
		print_indented("wanted a line: ", a->want);
	if (a->sub)
		print_indented("wanted: ", a->sub);
	if (!a->missing)
		print_indented("output: ", a->out.data);
}

/* Run one check and print its PASS or FAIL line. Returns whether it passed; *qemu_gone is set
 * when QEMU exited (no check can run after it). */
static bool run_check(struct qemu_session *s, const struct check *k, const struct strv *vars, const char *idfile,
                      bool *qemu_gone)
{
	double t = now_mono();
	struct attempt a;
	attempt_check(s, k, vars, &a);
	printf("%s %s (%.1f s)\n", a.why ? "FAIL" : "PASS", k->name, now_mono() - t);
	if (a.why)
		print_failure(k, &a, idfile);
	fflush(stdout);
	*qemu_gone = a.r == -2;
	free(a.missing);
	free(a.cmd);
	free(a.want);
	free(a.sub);
	buf_free(&a.out);
	return !a.why;
}

/* Power the guest off (QEMU gets 180 s to exit) and print its PASS or FAIL line; true when QEMU
 * exited cleanly. The session is gone afterwards. */
static bool power_off(struct qemu_session *s)
{
	qemu_note(s, "poweroff");
	qemu_send(s, "poweroff\r");
	double t = now_mono();
	int qrc = qemu_finish(s, 180);
	bool off = qrc == 0;
	printf("%s poweroff: QEMU %s (%.1f s)\n", off ? "PASS" : "FAIL",
	       off ? "exited" : qrc < 0 ? "did not exit and was killed" : "exited with an error", now_mono() - t);
	return off;
}

/* The book's check list (or --checks FILE), then each layer's DIR/checks (docs/layers.md), whose
 * checks are named "LAYER: NAME". NULL after the messages. */
static struct check *all_checks(const struct config *cfg, const char *book_checks, int *count)
{
	struct check *c = load_checks(book_checks, count);
	for (size_t i = 0; c && i < cfg->layers.n; i++) {
		char *path = path_join(cfg->layers.v[i], "checks");
		int n = 0;
		struct check *more = path_exists(path) ? load_checks(path, &n) : NULL;
		if (path_exists(path) && !more) {
			free_checks(c, *count);
			c = NULL;
			*count = 0;
		}
		const char *name = strrchr(cfg->layers.v[i], '/');
		name = name ? name + 1 : cfg->layers.v[i];
		if (more) {
			c = xrealloc(c, sizeof *c * (size_t)(*count + n));
			for (int k = 0; k < n; k++) {
				c[*count + k] = more[k];
				c[*count + k].name = xasprintf("%s: %s", name, more[k].name);
				free(more[k].name);
			}
			*count += n;
			free(more);
		}
		free(path);
	}
	return c;
}

static int run(struct config *cfg, int argc, char **argv)
{
	if (argc > 1)
		return cli_usage_error(&cmd_test, "one image at most, not %d", argc);
	char *image = path_abs(argc ? argv[0] : cfg->output);
	char *checks_path = cfg->checks ? path_abs(cfg->checks) : path_join(cfg->bookdir, "files/boot-test.checks");
	char *logs = config_path(cfg, "logs"), *scratch = config_path(cfg, "tmp");
	char *transcript = path_join(logs, "boot-test.log");
	char *pwfile = config_path(cfg, "root-password");
	char *idfile = config_path(cfg, "state/disk.conf");
	char *password = NULL;
	struct strv vars = {0};
	struct check *checks = NULL;
	int nchecks = 0, rc = EXIT_FAIL;
	struct qemu_session *s = NULL;

	if (!path_exists(image)) {
		errorf("%s: no such image (make it with: lfsbuild image)", image);
		goto out;
	}
	if (!(checks = all_checks(cfg, checks_path, &nchecks)) || disk_vars(cfg, idfile, &vars) < 0)
		goto out;
	password = root_password(pwfile);
	if (mkdir_p(logs, 0755) < 0) {
		errorf("cannot create %s:", logs);
		goto out;
	}
	printf("boot-test: booting %s headless (transcript: %s)\n", image, transcript);
	fflush(stdout);
	struct qemu_opts o = {
		.image = image, .scratch = scratch, .memory = cfg->memory, .cpus = cfg->cpus, .cpu = cfg->cpu, .headless = true,
		.snapshot = true,
	};
	if (!(s = qemu_start(&o, transcript)) || login(s, password, cfg->timeout, transcript) < 0)
		goto out;
	quiet_shell(s);

	int passed = 0;
	bool qemu_gone = false;
	for (int i = 0; i < nchecks && !qemu_gone; i++)
		passed += run_check(s, &checks[i], &vars, idfile, &qemu_gone);
	bool off = power_off(s);
	s = NULL;
	printf("boot-test: %d of %d checks passed%s; transcript %s\n", passed, nchecks, off ? "" : ", poweroff failed",
	       transcript);
	rc = passed == nchecks && off ? EXIT_OK : EXIT_FAIL;
out:
	if (s)
		qemu_finish(s, 0);
	free_checks(checks, nchecks);
	strv_free(&vars);
	free(password);
	free(idfile);
	free(pwfile);
	free(transcript);
	free(scratch);
	free(logs);
	free(checks_path);
	free(image);
	return rc;
}

const struct command cmd_test = {
	"test", "boot the image headless, log in and run the checks", "[IMAGE]",
	"Boots IMAGE (default WORKDIR/lfs.qcow2; its writes go to a throw-away overlay) with the serial console on a "
	"pipe, waits for the login prompt (--timeout, default 600 s), logs in as root with the password of "
	"WORKDIR/root-password, runs the checks of --checks FILE (default BOOK/files/boot-test.checks), then those of "
	"each layer's DIR/checks (docs/layers.md), and prints a "
	"PASS or FAIL line for each, then powers the guest off. The transcript goes to WORKDIR/logs/boot-test.log; "
	"exit 0 only when every check passed.",
	run,
};
