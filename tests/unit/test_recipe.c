/* Unit tests of recipe: the parser's fields and its file:line errors, the set's checks. */
#include "unit.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "book/recipe.h"

static struct recipe_set one_stage(void)
{
	struct recipe_set set = {0};
	set.stages = xcalloc(2, sizeof *set.stages);
	set.stages[0].name = xstrdup("prep");
	set.stages[0].mode = MODE_USER;
	set.stages[1].name = xstrdup("cross");
	set.stages[1].mode = MODE_CHROOT;
	set.nstages = 2;
	return set;
}

static void test_parse_fields(void **state)
{
	(void)state;
	struct recipe_set set = one_stage();
	const char *text = "# comment\ntitle  Binutils-2.44 - Pass 1\nstage cross\nsources binutils gmp\n"
	                   "after ch5/a ch5/b\nafter ch5/c\nsbu 2.5\nexclusive yes\nmode host-root\n\n"
	                   "%build\nmake\n# kept\n%test\nmake check\n%install\nmake install\n";
	struct recipe r;
	struct buf err = {0};
	assert_int_equal(recipe_parse(&set, "x.recipe", "ch5/x", text, &r, &err), 0);
	assert_null(err.data);
	assert_string_equal(r.title, "Binutils-2.44 - Pass 1");
	assert_int_equal(r.stage, 1);
	assert_int_equal(r.mode, MODE_HOST_ROOT);
	assert_int_equal(r.sources.n, 2);
	assert_string_equal(r.sources.v[1], "gmp");
	assert_int_equal(r.nafter, 3);
	assert_string_equal(r.after[2].id, "ch5/c");
	assert_int_equal(r.after[2].line, 6);
	assert_true(r.sbu > 2.49 && r.sbu < 2.51);
	assert_true(r.exclusive);
	assert_string_equal(r.build, "make\n# kept\n");
	assert_string_equal(r.test, "make check\n");
	assert_string_equal(r.install, "make install\n");
	assert_int_equal(r.build_line, 11);
	assert_int_equal(r.test_line, 14);
	assert_int_equal(r.install_line, 16);
	recipe_free(&r);
	/* defaults: the stage's mode, sbu 0.1, no test */
	assert_int_equal(recipe_parse(&set, "y.recipe", "ch5/y", "title y\nstage cross\n%build\n", &r, &err), 0);
	assert_int_equal(r.mode, MODE_CHROOT);
	assert_true(r.sbu > 0.09 && r.sbu < 0.11);
	assert_null(r.test);
	assert_string_equal(r.build, "");
	recipe_free(&r);
	recipe_set_free(&set);
}

static void expect_error(const char *text, const char *want)
{
	struct recipe_set set = one_stage();
	struct recipe r;
	struct buf err = {0};
	assert_int_equal(recipe_parse(&set, "b.recipe", "ch5/b", text, &r, &err), -1);
	assert_non_null(err.data);
	if (!strstr(err.data, want))
		fail_msg("wanted '%s' in:\n%s", want, err.data);
	buf_free(&err);
	recipe_free(&r);
	recipe_set_free(&set);
}

static void test_parse_errors(void **state)
{
	(void)state;
	expect_error("title t\nstage cross\ncolour red\n%build\n", "b.recipe:3: unknown key 'colour'");
	expect_error("title t\ntitle u\nstage cross\n%build\n", "b.recipe:2: title is given twice (first on line 1)");
	expect_error("title t\nstage nowhere\n%build\n", "b.recipe:2: unknown stage 'nowhere' (book/stages has: prep cross)");
	expect_error("title t\nstage cross\n", "b.recipe:2: no %build section");
	expect_error("stage cross\n%build\n", "b.recipe:2: no 'title' line");
	expect_error("title t\nstage cross\nsbu -1\n%build\n", "b.recipe:3: sbu wants a positive number, not '-1'");
	expect_error("title t\nstage cross\nafter ch5/b\n%build\n", "b.recipe:3: after: a step cannot come after itself");
	expect_error("title t\nstage cross\nafter binutils\n%build\n", "b.recipe:3: after: 'binutils' is not a step id");
	expect_error("title t\nstage cross\n%build\n%check\nx\n", "b.recipe:4: unknown section '%check'");
	expect_error("title t\nstage cross\n%build\n%build\n", "b.recipe:4: section '%build' appears twice");
	expect_error("title t\nstage cross\nexclusive maybe\n%build\n", "b.recipe:3: exclusive wants yes or no");
	expect_error("title t\nstage cross\nmode root\n%build\n", "b.recipe:3: unknown mode 'root'");
	expect_error("title\nstage cross\n%build\n", "b.recipe:1: 'title' wants a value");
	expect_error("title t\nstage cross\nsources a\nsources b\n%build\n", "b.recipe:4: sources is given twice");
	expect_error("title t\nstage cross\ncritical-tests yes\n%build\n",
	             "b.recipe:3: critical-tests yes, but there is no %test section");
	expect_error("title t\nstage cross\ncritical-tests always\n%build\n%test\n", "b.recipe:3: critical-tests wants yes or no");
	expect_error("title t\nstage cross\nsbu-reference yes\nsbu-reference yes\n%build\n",
	             "b.recipe:4: sbu-reference is given twice (first on line 3)");
}

/* critical-tests and sbu-reference; sbu-reference, like disk, is not part of the stamp's hash. */
static void test_critical_and_reference(void **state)
{
	(void)state;
	struct recipe_set set = one_stage();
	struct recipe r, plain;
	struct buf err = {0};
	assert_int_equal(recipe_parse(&set, "c.recipe", "ch5/c",
	                              "title c\nstage cross\ncritical-tests yes\nsbu-reference yes\n%build\nmake\n%test\nmake check\n",
	                              &r, &err), 0);
	assert_true(r.critical_tests);
	assert_true(r.sbu_reference);
	assert_int_equal(r.sbu_reference_line, 4);
	assert_int_equal(recipe_parse(&set, "c.recipe", "ch5/c",
	                              "title c\nstage cross\ncritical-tests yes\n%build\nmake\n%test\nmake check\n", &plain, &err), 0);
	assert_false(plain.sbu_reference);
	assert_string_equal(r.hashed, plain.hashed);
	recipe_free(&r);
	recipe_free(&plain);
	recipe_set_free(&set);
}

/* `capture no: WHY` is not part of the stamp's hash either (adding it to a recipe reruns nothing). */
static void test_capture_key(void **state)
{
	(void)state;
	struct recipe_set set = one_stage();
	struct recipe r, plain;
	struct buf err = {0};
	assert_int_equal(recipe_parse(&set, "c.recipe", "ch5/c",
	                              "title c\nstage cross\ncapture no: chown -R of the whole root\n%build\nmake\n", &r, &err), 0);
	assert_true(r.no_capture);
	assert_int_equal(recipe_parse(&set, "c.recipe", "ch5/c", "title c\nstage cross\n%build\nmake\n", &plain, &err), 0);
	assert_false(plain.no_capture);
	assert_string_equal(r.hashed, plain.hashed);
	recipe_free(&r);
	recipe_free(&plain);
	expect_error("title t\nstage cross\ncapture nope\n%build\n",
	             "b.recipe:3: capture wants yes or no (then, after a colon, why), not 'nope'");
	recipe_set_free(&set);
}

/* `icecream no: WHY` (--icecream): kept with its reason, not part of the stamp's hash. */
static void test_icecream_key(void **state)
{
	(void)state;
	struct recipe_set set = one_stage();
	struct recipe r, plain;
	struct buf err = {0};
	assert_int_equal(recipe_parse(&set, "c.recipe", "ch5/c",
	                              "title c\nstage cross\nicecream  no: built by the host's gcc\n%build\nmake\n", &r, &err), 0);
	assert_true(r.no_icecream);
	assert_string_equal(r.icecream_why, "built by the host's gcc");
	assert_int_equal(recipe_parse(&set, "c.recipe", "ch5/c", "title c\nstage cross\n%build\nmake\n", &plain, &err), 0);
	assert_false(plain.no_icecream);
	assert_null(plain.icecream_why);
	assert_string_equal(r.hashed, plain.hashed);
	recipe_free(&r);
	recipe_free(&plain);
	expect_error("title t\nstage cross\nicecream no\n%build\n",
	             "b.recipe:3: icecream no wants a reason after a colon (what does not work through icecc), not 'no'");
	expect_error("title t\nstage cross\nicecream maybe\n%build\n",
	             "b.recipe:3: icecream wants yes or no (then, after a colon, why), not 'maybe'");
	recipe_set_free(&set);
}

static void put(const char *dir, const char *name, const char *text)
{
	char *p = path_join(dir, name);
	char *slash = strrchr(p, '/');
	*slash = '\0';
	mkdir_p(p, 0755);
	*slash = '/';
	assert_int_equal(write_file_atomic(p, text, strlen(text), 0644), 0);
	free(p);
}

static void test_set_load(void **state)
{
	(void)state;
	char dir[] = "/tmp/lfsbuild-unit-recipe.XXXXXX";
	assert_non_null(mkdtemp(dir));
	put(dir, "stages", "stage a\n chapter 1\n mode user\n env X=$LFS/x\n prelude umask 022\n prelude set +h\n"
	                     "stage b\n chapter 2\n mode chroot\n icecream gcc g++ cc\n");
	put(dir, "toc", "# toc\nch1/one\nch1/two\nch2/three\nch2/four\n");
	put(dir, "ch1/one.recipe", "title One\nstage a\n%build\ntrue\n");
	put(dir, "ch1/two.recipe", "title Two\nstage a\nafter ch1/one\n%build\ntrue\n");
	put(dir, "ch2/three.recipe", "title Three\nstage b\n%build\ntrue\n");
	struct recipe_set set;
	assert_int_equal(recipe_set_load(dir, &set), 0);
	assert_int_equal(set.nstages, 2);
	assert_string_equal(set.stages[0].prelude, "umask 022\nset +h");
	assert_string_equal(set.stages[0].env.v[0], "X=$LFS/x");
	assert_int_equal(set.stages[0].icecream.n, 0);
	assert_int_equal(set.stages[1].icecream.n, 3);
	assert_string_equal(set.stages[1].icecream.v[1], "g++");
	assert_null(strstr(set.stages[1].canon, "icecream"));   /* no input of the steps' stamps */
	assert_int_equal(set.nsteps, 3);
	assert_int_equal(set.missing.n, 1);
	assert_string_equal(set.missing.v[0], "ch2/four");
	assert_int_equal(recipe_set_find(&set, "ch2/three"), 2);
	assert_int_equal(set.steps[1].toc_line, 3);
	recipe_set_free(&set);
	/* a stage out of order in the toc, a recipe outside the toc */
	put(dir, "toc", "ch2/three\nch1/one\n");
	assert_int_equal(recipe_set_load(dir, &set), -1);
	recipe_set_free(&set);
	char *cmd = xasprintf("rm -rf %s", dir);
	assert_int_equal(system(cmd), 0);
	free(cmd);
}

static void test_timings(void **state)
{
	(void)state;
	char dir[] = "/tmp/lfsbuild-unit-recipe.XXXXXX";
	assert_non_null(mkdtemp(dir));
	put(dir, "stages", "stage a\n chapter 1\n mode user\nstage b\n chapter 2\n mode chroot\n");
	put(dir, "toc", "ch1/one\nch1/two\nch2/three\n");
	put(dir, "ch1/one.recipe", "title One\nstage a\nsbu 1\n%build\ntrue\n");
	put(dir, "ch1/two.recipe", "title Two\nstage a\nsbu 0.5\n%build\ntrue\n");
	put(dir, "ch2/three.recipe", "title Three\nstage b\nsbu 4\n%build\ntrue\n%test\nmake check\n");
	struct recipe_set set;
	/* no timings file: the book's figures */
	assert_int_equal(recipe_set_load(dir, &set), 0);
	assert_true(set.steps[0].sbu_here == 0);
	assert_true(recipe_expected_sbu(&set.steps[0], false) == 1.0);
	recipe_set_free(&set);
	put(dir, "timings", "# measured\nch1/one 2.5\n\nch2/three\t1.5\n");
	assert_int_equal(recipe_set_load(dir, &set), 0);
	assert_true(set.steps[0].sbu_here == 2.5);
	assert_true(recipe_expected_sbu(&set.steps[0], false) == 2.5);
	assert_true(recipe_expected_sbu(&set.steps[0], true) == 2.5);   /* no %test: the measured one */
	assert_true(recipe_expected_sbu(&set.steps[1], false) == 0.5);  /* not measured: the book's */
	assert_true(recipe_expected_sbu(&set.steps[2], false) == 1.5);
	assert_true(recipe_expected_sbu(&set.steps[2], true) == 4.0);   /* the book's counts the tests */
	recipe_set_free(&set);
	/* each bad line fails the load */
	const char *bad[] = {"ch1/one\n", "ch1/one two\n", "ch1/one 0\n", "ch1/one -1\n", "ch1/one 1 2\n",
	                     "ch9/none 1\n"};
	for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
		put(dir, "timings", bad[i]);
		assert_int_equal(recipe_set_load(dir, &set), -1);
		recipe_set_free(&set);
	}
	char *cmd = xasprintf("rm -rf %s", dir);
	assert_int_equal(system(cmd), 0);
	free(cmd);
}

static void test_flat_id(void **state)
{
	(void)state;
	char *s = step_flat_id("ch8/libstdc++");
	assert_string_equal(s, "ch8_libstdc++");
	free(s);
	assert_string_equal(step_mode_name(MODE_HOST_ROOT), "host-root");
}

/* Step ids: the book's chN/PAGE; with layer ids also LAYER/PAGE (docs/layers.md). */
static void test_valid_id(void **state)
{
	(void)state;
	assert_true(recipe_valid_id("ch8/gcc", false));
	assert_true(recipe_valid_id("ch8/libstdc++", true));
	assert_false(recipe_valid_id("blfs/openssh", false));
	assert_true(recipe_valid_id("blfs/openssh", true));
	assert_true(recipe_valid_id("my-layer.2/x_y", true));
	assert_true(recipe_valid_id("chx/foo", true));       /* not a chapter: a layer called chx */
	assert_false(recipe_valid_id("chx/foo", false));
	assert_false(recipe_valid_id("ch8", true));
	assert_false(recipe_valid_id("/gcc", true));
	assert_false(recipe_valid_id("blfs/", true));
	assert_false(recipe_valid_id("blfs/.hidden", true));
	assert_false(recipe_valid_id(".blfs/x", true));
	assert_false(recipe_valid_id("bl fs/x", true));
	assert_false(recipe_valid_id("blfs/a/b", true));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_fields),
		cmocka_unit_test(test_parse_errors),
		cmocka_unit_test(test_critical_and_reference),
		cmocka_unit_test(test_capture_key),
		cmocka_unit_test(test_icecream_key),
		cmocka_unit_test(test_set_load),
		cmocka_unit_test(test_timings),
		cmocka_unit_test(test_flat_id),
		cmocka_unit_test(test_valid_id),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
