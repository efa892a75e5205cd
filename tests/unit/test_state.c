/* Unit tests of state: stamps round trip, the reasons a step runs again, run.json, timings. */
#include "unit.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "state/state.h"

static char *tmpdir(void)
{
	char *d = xstrdup("/tmp/lfsbuild-unit-state.XXXXXX");
	assert_non_null(mkdtemp(d));
	return d;
}

static void rmdir_all(char *d)
{
	assert_int_equal(remove_tree(d), 0);
	free(d);
}

static void test_stamp_roundtrip(void **state)
{
	(void)state;
	char *w = tmpdir();
	struct stamp s = {0}, r;
	s.result = "ok";
	strv_add(&s.inputs, "recipe abc");
	strv_add(&s.inputs, "dep ch5/gcc-pass1 123");
	s.hash = inputs_hash(&s.inputs);
	s.start = 1700000000.5;
	s.wall = 86.25;
	s.cpu = 150;
	s.maxrss_kib = 4242;
	s.exit_code = 0;
	assert_int_equal(stamp_write(w, "ch5/binutils-pass1", &s), 0);
	char *p = stamp_path(w, "ch5/binutils-pass1");
	assert_true(str_ends(p, "/state/stamps/ch5/binutils-pass1.stamp"));
	assert_true(path_exists(p));
	free(p);
	assert_int_equal(stamp_read(w, "ch5/binutils-pass1", &r), 0);
	assert_string_equal(r.result, "ok");
	assert_string_equal(r.hash, s.hash);
	assert_int_equal(r.inputs.n, 2);
	assert_string_equal(r.inputs.v[1], "dep ch5/gcc-pass1 123");
	assert_true(r.wall > 86.2 && r.wall < 86.3);
	assert_int_equal(r.maxrss_kib, 4242);
	assert_null(stamp_reason(&r, true, &s.inputs, s.hash));
	stamp_free(&r);
	assert_int_equal(stamp_invalidate(w, "ch5/binutils-pass1", "root restored"), 0);
	assert_int_equal(stamp_read(w, "ch5/binutils-pass1", &r), 0);
	char *why = stamp_reason(&r, true, &s.inputs, s.hash);
	assert_string_equal(why, "root restored");
	free(why);
	stamp_free(&r);
	assert_int_equal(stamp_read(w, "ch5/none", &r), -1);
	/* stamp_format and stamp_parse (the merge journal keeps a stamp so) give the same stamp back */
	s.note = "a note";
	char *text = stamp_format("ch5/binutils-pass1", &s);
	assert_int_equal(stamp_parse(text, &r), 0);
	assert_string_equal(r.result, "ok");
	assert_string_equal(r.hash, s.hash);
	assert_int_equal(r.inputs.n, 2);
	assert_string_equal(r.note, "a note");
	assert_int_equal(r.exit_code, 0);
	assert_true(r.start > 1700000000.4 && r.start < 1700000000.6);
	stamp_free(&r);
	free(text);
	char bad[] = "step x\nresult ok\n";   /* no hash */
	assert_int_equal(stamp_parse(bad, &r), -1);
	/* a removed step runs again (when a build names it) for that reason */
	s.result = "removed";
	why = stamp_reason(&s, true, &s.inputs, s.hash);
	assert_string_equal(why, "removed by lfsbuild remove");
	free(why);
	free(s.hash);
	strv_free(&s.inputs);
	rmdir_all(w);
}

/* Input lines from "line\nline...". */
static void lines(struct strv *out, const char *text)
{
	char *copy = xstrdup(text), *save = NULL;
	for (char *l = strtok_r(copy, "\n", &save); l; l = strtok_r(NULL, "\n", &save))
		strv_add(out, l);
	free(copy);
}

static char *reason(const char *old_inputs, const char *new_inputs)
{
	struct stamp s = {0};
	s.result = xstrdup("ok");
	struct strv nw = {0};
	lines(&s.inputs, old_inputs);
	lines(&nw, new_inputs);
	s.hash = inputs_hash(&s.inputs);
	char *h = inputs_hash(&nw);
	char *why = stamp_reason(&s, true, &nw, h);
	free(h);
	strv_free(&nw);
	stamp_free(&s);
	return why ? why : xstrdup("(none)");
}

/* The pass hash: the step's own hash without its settings; the same as its hash without any. */
static void test_pass_hash(void **state)
{
	(void)state;
	struct strv plain = {0}, berlin = {0}, tokyo = {0};
	lines(&plain, "recipe 1\ndep ch8/a 2");
	lines(&berlin, "recipe 1\nconfig timezone aa\ndep ch8/a 2");
	lines(&tokyo, "recipe 1\nconfig timezone bb\ndep ch8/a 2");
	char *h = inputs_hash(&plain), *p = inputs_pass_hash(&plain);
	assert_string_equal(h, p); /* no setting: the step's own hash */
	char *hb = inputs_hash(&berlin), *pb = inputs_pass_hash(&berlin);
	char *ht = inputs_hash(&tokyo), *pt = inputs_pass_hash(&tokyo);
	assert_string_not_equal(hb, ht); /* the step itself reruns for a new value */
	assert_string_equal(pb, pt);     /* the steps after it do not */
	assert_string_equal(pb, h);      /* as if it read no setting */
	free(berlin.v[0]);
	berlin.v[0] = xstrdup("recipe 2"); /* anything else still passes on */
	char *p2 = inputs_pass_hash(&berlin);
	assert_string_not_equal(p2, pb);
	free(p2);
	free(h), free(p), free(hb), free(pb), free(ht), free(pt);
	strv_free(&plain), strv_free(&berlin), strv_free(&tokyo);
}

#define REASON(old, new, want) do { char *r_ = reason(old, new); assert_string_equal(r_, want); free(r_); } while (0)

static void test_reasons(void **state)
{
	(void)state;
	REASON("recipe 1\nstage 1", "recipe 1\nstage 1", "(none)");
	REASON("recipe 1\nstage 1", "recipe 2\nstage 1", "recipe changed");
	REASON("recipe 1\nsource binutils aa", "recipe 1\nsource binutils bb", "source binutils changed");
	REASON("recipe 1\ndep ch8/glibc aa", "recipe 1\ndep ch8/glibc bb", "dependency ch8/glibc rebuilt");
	REASON("recipe 1\nconfig hostname aa", "recipe 1\nconfig hostname bb", "configuration changed: hostname");
	REASON("recipe 1\ntests off", "recipe 1\ntests on", "tests turned on");
	REASON("recipe 1\ndep ch8/a 1", "recipe 1", "dependency ch8/a dropped");
	REASON("recipe 1", "recipe 2\nstage 2", "recipe changed, stage definition changed");
	struct stamp s = {0};
	struct strv none = {0};
	char *why = stamp_reason(&s, false, &none, "x");
	assert_string_equal(why, "new");
	free(why);
	s.result = "failed";
	s.hash = "x";
	s.exit_code = 2;
	why = stamp_reason(&s, true, &none, "x");
	assert_string_equal(why, "last run failed (exit 2)");
	free(why);
	s.result = "running";
	why = stamp_reason(&s, true, &none, "x");
	assert_string_equal(why, "interrupted last time");
	free(why);
}

static void test_run_json_and_timings(void **state)
{
	(void)state;
	char *w = tmpdir();
	struct step_report steps[2] = {
		{"ch5/binutils-pass1", "Binutils \"quoted\"", "cross", 1, 1, ST_DONE, "new", 1700000000, 86.1, 150, 1234, 0, NULL},
		{"ch5/gcc-pass1", "GCC", "cross", 3.2, 8.56, ST_RUNNING, "new", 1700000090, 0, 0, 0, -1, NULL},
	};
	struct run_report r = {42, "running", "lfsbuild build", 1700000000, 1700000100, 2, 86.1, steps, 2};
	assert_int_equal(run_report_write(w, &r), 0);
	char *p = path_join(w, "state/run.json");
	char *text = read_file(p, NULL);
	assert_non_null(text);
	assert_non_null(strstr(text, "\"state\":\"running\""));
	assert_non_null(strstr(text, "\"done\":1,"));
	assert_non_null(strstr(text, "\"running\":1,"));
	assert_non_null(strstr(text, "\"title\":\"Binutils \\\"quoted\\\"\""));
	assert_non_null(strstr(text, "\"status\":\"running\",\"reason\":\"new\",\"start\":1700000090.0,\"wall\":null"));
	assert_non_null(strstr(text, "\"log\":\"logs/ch5/gcc-pass1.log\""));
	assert_non_null(strstr(text, "\"sbu_book\":3.2,\"sbu_expect\":8.56,\"status\":\"running\""));
	free(text);
	free(p);
	char *cmd = xasprintf("python3 -c 'import json; json.load(open(\"%s/state/run.json\"))'", w);
	assert_int_equal(system(cmd), 0);
	free(cmd);
	assert_int_equal(timings_append(w, &steps[0], 86.1), 0);
	p = path_join(w, "logs/timings.tsv");
	text = read_file(p, NULL);
	assert_string_equal(text, "ch5/binutils-pass1\t1700000000\t86.10\t1.00\t150.00\t1234\tdone\n");
	free(text);
	/* A line longer than any fixed buffer (a long step id): written whole, nothing else. */
	char id[701];
	memset(id, 'x', sizeof id - 1);
	memcpy(id, "ch8/", 4);
	id[sizeof id - 1] = '\0';
	struct step_report longer = steps[0];
	longer.id = id;
	assert_int_equal(timings_append(w, &longer, 86.1), 0);
	text = read_file(p, NULL);
	char *want = xasprintf("ch5/binutils-pass1\t1700000000\t86.10\t1.00\t150.00\t1234\tdone\n"
	                       "%s\t1700000000\t86.10\t1.00\t150.00\t1234\tdone\n", id);
	assert_true(strlen(want) > 512 + 60);
	assert_string_equal(text, want);
	free(want);
	free(text);
	free(p);
	assert_true(sbu_read(w) == 0);
	assert_int_equal(sbu_write(w, 86.1), 0);
	assert_true(sbu_read(w) > 86.09 && sbu_read(w) < 86.11);
	rmdir_all(w);
}

/* state/lock: one holder at a time, and the others are told who it is. */
static void test_lock(void **state)
{
	(void)state;
	char *dir = tmpdir();
	struct lock_holder h;
	int fd = state_lock(dir, "shell", &h);
	assert_true(fd >= 0);
	char *p = path_join(dir, "state/lock"), *text = read_file(p, NULL);
	char want[64];
	snprintf(want, sizeof want, "%ld shell\n", (long)getpid());
	assert_string_equal(text, want);
	errno = 0;
	assert_int_equal(state_lock(dir, "build", &h), -1); /* another open file description: refused */
	assert_int_equal(errno, EWOULDBLOCK);
	assert_int_equal(h.pid, (long)getpid());
	assert_string_equal(h.what, "shell");
	close(fd);
	fd = state_lock(dir, "build", &h);
	assert_true(fd >= 0);
	close(fd);
	free(text);
	free(p);
	rmdir_all(dir);
}

/* What state_lock_take says to stderr when `holder` (shell, build, repro) holds the lock and
 * `what` wants it: the refusal, or "" when it got the lock. */
static char *refusal(const char *dir, const char *holder, const char *what)
{
	struct lock_holder h;
	int held = state_lock(dir, holder, &h);
	assert_true(held >= 0);
	char tmpl[] = "/tmp/lfsbuild-unit-err.XXXXXX";
	int efd = mkstemp(tmpl);
	assert_true(efd >= 0);
	fflush(stderr);
	int saved = dup(2);
	dup2(efd, 2);
	int fd = state_lock_take(dir, what, "nothing was done");
	fflush(stderr);
	dup2(saved, 2);
	close(saved);
	assert_int_equal(fd, -1);
	close(held);
	char *text = read_file(tmpl, NULL);
	assert_non_null(text);
	unlink(tmpl);
	close(efd);
	return text;
}

static void test_lock_take(void **state)
{
	(void)state;
	char *dir = tmpdir();
	long pid = (long)getpid();
	static const struct {
		const char *holder, *what, *fmt; /* fmt: %ld the pid, %s the work directory */
	} cases[] = {
		{"build", "remove", "a build is running in %2$s (lfsbuild pid %1$ld); wait for it or stop it first (nothing was done)"},
		{"shell", "build", "an lfsbuild shell (pid %1$ld) is open in %2$s; leave it (exit) first (nothing was done)"},
		{"shell", "shell", "another lfsbuild shell (pid %1$ld) is open in %2$s; one at a time: leave it first"},
		{"repro", "build", "an lfsbuild repro (pid %1$ld) is working in %2$s; wait for it or stop it first"},
	};
	for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
		char want[256];
		snprintf(want, sizeof want, cases[k].fmt, pid, dir);
		char *t = refusal(dir, cases[k].holder, cases[k].what);
		if (!strstr(t, want))
			fail_msg("%s held, %s: got '%s', want '%s'", cases[k].holder, cases[k].what, t, want);
		free(t);
	}
	int fd = state_lock_take(dir, "build", "nothing was done"); /* free again: taken */
	assert_true(fd >= 0);
	close(fd);
	rmdir_all(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_stamp_roundtrip),
		cmocka_unit_test(test_reasons),
		cmocka_unit_test(test_pass_hash),
		cmocka_unit_test(test_run_json_and_timings),
		cmocka_unit_test(test_lock),
		cmocka_unit_test(test_lock_take),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
