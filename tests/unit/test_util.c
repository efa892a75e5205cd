/* Unit tests of util: strings, buffers, atomic files, trees. */
#include "unit.h"

#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lib/util.h"

static void test_split_words(void **state)
{
	(void)state;
	char line[] = "  source\tbinutils   2.44 \n";
	char *w[4];
	assert_int_equal(split_words(line, w, 4), 3);
	assert_string_equal(w[0], "source");
	assert_string_equal(w[1], "binutils");
	assert_string_equal(w[2], "2.44");
}

static void test_shell_quote(void **state)
{
	(void)state;
	const char *cases[][2] = {
		{"", "''"},
		{"/w/plain", "'/w/plain'"},
		{"it's", "'it'\\''s'"},
		{"/t/we ird'dir,x/build/lfsbuild-tests.log", "'/t/we ird'\\''dir,x/build/lfsbuild-tests.log'"},
		{"''", "''\\'''\\'''"},
		{"$HOME `id` \\ \"q\"\nnl", "'$HOME `id` \\ \"q\"\nnl'"},
	};
	for (size_t i = 0; i < ARRAY_LEN(cases); i++) {
		char *q = shell_quote(cases[i][0]);
		assert_string_equal(q, cases[i][1]);
		/* and the shell reads it back as the one word it was */
		char *cmd = xasprintf("printf %%s %s", q);
		FILE *f = popen(cmd, "r");
		assert_non_null(f);
		char got[256] = "";
		size_t n = fread(got, 1, sizeof got - 1, f);
		got[n] = '\0';
		assert_int_equal(pclose(f), 0);
		assert_string_equal(got, cases[i][0]);
		free(cmd);
		free(q);
	}
	/* shell_word: as is when nothing in it is special to a shell */
	char *w = shell_word("/var/tmp/lfs-work,1:x@y%z+=.");
	assert_string_equal(w, "/var/tmp/lfs-work,1:x@y%z+=.");
	free(w);
	w = shell_word("/t/we ird'dir,x");
	assert_string_equal(w, "'/t/we ird'\\''dir,x'");
	free(w);
	w = shell_word("");
	assert_string_equal(w, "''");
	free(w);
}

static void test_buf_and_strv(void **state)
{
	(void)state;
	struct buf b = {0};
	for (int i = 0; i < 1000; i++)
		buf_printf(&b, "%d,", i);
	assert_true(str_starts(b.data, "0,1,2,"));
	assert_true(str_ends(b.data, "998,999,"));
	buf_free(&b);
	struct strv s = {0};
	strv_add(&s, "a");
	strv_add(&s, "b");
	assert_true(strv_contains(&s, "b"));
	assert_false(strv_contains(&s, "c"));
	assert_null(s.v[2]);
	strv_free(&s);
}

/* remove_tree over a tree a step made: its symlinks are removed, never followed, whether they
 * point to a directory or a file, are on the way or are the path given itself. */
static void test_remove_tree_follows_no_link(void **state)
{
	(void)state;
	char tmpl[] = "/tmp/lfsbuild-unit-rm-XXXXXX";
	assert_non_null(mkdtemp(tmpl));
	char *cmd = xasprintf("cd %s && mkdir -p out/keep tree/a/b && echo kept > out/keep/f && echo kept > out/file && "
	                      "ln -s %s/out tree/dirlink && ln -s %s/out/file tree/a/filelink && "
	                      "ln -s ../../../out/keep tree/a/b/rel && ln -s %s/out tree/a/b/abs && "
	                      "ln -s %s/out/keep top",
	                      tmpl, tmpl, tmpl, tmpl, tmpl);
	assert_int_equal(system(cmd), 0);
	free(cmd);
	char *tree = path_join(tmpl, "tree"), *top = path_join(tmpl, "top"), *out = path_join(tmpl, "out");
	assert_int_equal(remove_tree(tree), 0);
	assert_false(path_exists(tree));
	assert_int_equal(remove_tree(top), 0); /* a symlink to a directory given itself: only the link goes */
	assert_false(path_exists(top));
	/* remove_tree_at: an entry of a directory fd, a link as a link, a tree without following */
	char *cmd2 = xasprintf("cd %s && mkdir -p t2/sub && ln -s %s/out t2/sub/abs && ln -s %s/out t2/link", tmpl, tmpl, tmpl);
	assert_int_equal(system(cmd2), 0);
	free(cmd2);
	char *t2 = path_join(tmpl, "t2");
	int dfd = open(t2, O_RDONLY | O_DIRECTORY);
	assert_true(dfd >= 0);
	assert_int_equal(remove_tree_at(dfd, "link"), 0);
	assert_int_equal(remove_tree_at(dfd, "sub"), 0);
	assert_int_equal(remove_tree_at(dfd, "none"), 0);
	close(dfd);
	char *left = xasprintf("%s/sub", t2);
	assert_false(path_exists(left));
	free(left);
	free(t2);
	const char *kept[] = {"keep/f", "file"};
	for (size_t i = 0; i < ARRAY_LEN(kept); i++) {
		char *p = path_join(out, kept[i]);
		char *t = read_file(p, NULL);
		assert_non_null(t);
		assert_string_equal(t, "kept\n");
		free(t);
		free(p);
	}
	assert_int_equal(remove_tree(tmpl), 0);
	free(tree);
	free(top);
	free(out);
}

static void test_atomic_write_and_remove_tree(void **state)
{
	(void)state;
	char tmpl[] = "/tmp/lfsbuild-unit-XXXXXX";
	assert_non_null(mkdtemp(tmpl));
	char *dir = path_join(tmpl, "a/b/c");
	assert_int_equal(mkdir_p(dir, 0755), 0);
	assert_int_equal(mkdir_p(dir, 0755), 0);
	char *f = path_join(dir, "stamp");
	assert_int_equal(write_file_atomic(f, "one", 3, 0644), 0);
	assert_int_equal(write_file_atomic(f, "two!", 4, 0644), 0);
	size_t n;
	char *text = read_file(f, &n);
	assert_int_equal(n, 4);
	assert_string_equal(text, "two!");
	free(text);
	/* No temporary file is left beside it: the directory holds the file and nothing else. */
	DIR *d = opendir(dir);
	assert_non_null(d);
	int entries = 0;
	for (struct dirent *e; (e = readdir(d));)
		if (strcmp(e->d_name, ".") && strcmp(e->d_name, "..")) {
			assert_string_equal(e->d_name, "stamp");
			entries++;
		}
	closedir(d);
	assert_int_equal(entries, 1);
	char *link = path_join(dir, "link");
	assert_int_equal(symlink("/etc", link), 0);
	assert_int_equal(remove_tree(tmpl), 0);
	assert_false(path_exists(tmpl));
	assert_true(is_dir("/etc"));
	free(link);
	free(f);
	free(dir);
}

static void test_formatting(void **state)
{
	(void)state;
	assert_string_equal(fmt_duration(4.25), "4.2s");
	assert_string_equal(fmt_duration(185), "3m05s");
	assert_string_equal(fmt_duration(3720), "1h02m");
	assert_string_equal(fmt_bytes(1536), "1.5 KiB");
	assert_string_equal(fmt_exit(2), "2");
	assert_string_equal(fmt_exit(128), "128");
	assert_string_equal(fmt_exit(141), "141 (SIGPIPE)");
	assert_string_equal(fmt_exit(137), "137 (SIGKILL)");
	assert_string_equal(fmt_exit(255), "255");       /* not a signal: bash's exit 255 */
	assert_string_equal(fmt_exit(193), "193");
	assert_string_equal(fmt_exit(128 + 64), "192 (signal 64)");
	char *p = path_join("/a/", "/b");
	assert_string_equal(p, "/a/b");
	free(p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_split_words),
		cmocka_unit_test(test_shell_quote),
		cmocka_unit_test(test_buf_and_strv),
		cmocka_unit_test(test_atomic_write_and_remove_tree),
		cmocka_unit_test(test_remove_tree_follows_no_link),
		cmocka_unit_test(test_formatting),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
