/* Unit tests of license: book/licenses and a layer's licenses, each malformed line with its
 * FILE:LINE: reason, and the book's own file against the book's manifest. */
#include "unit.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "book/license.h"
#include "book/manifest.h"
#include "lib/util.h"

#define SHA "5d1aa2e3f0f6e4b1c1e1d1c1b1a191817161514131211100f0e0d0c0b0a09080"

static void manifest_of(struct manifest *m)
{
	static const char text[] = "source zlib\n  upstream 1.3.1 https://example.invalid/zlib-1.3.1.tar.xz sha256=" SHA "\n"
	                           "source gmp\n  upstream 6.3.0 https://example.invalid/gmp-6.3.0.tar.xz sha256=" SHA "\n"
	                           "source linux\n  upstream 6.13.4 https://example.invalid/linux-6.13.4.tar.xz sha256=" SHA "\n";
	struct buf err = {0};
	assert_int_equal(manifest_parse("t/sources", text, m, &err), 0);
}

static void test_good(void **state)
{
	(void)state;
	struct manifest m;
	manifest_of(&m);
	struct licenses l = {0};
	struct buf err = {0};
	licenses_parse("t/licenses", "# a comment\n\nzlib  Zlib   # zlib.h\ngmp GPL-2.0-or-later   OR\tLGPL-3.0-or-later\n"
	               "linux GPL-2.0-only WITH Linux-syscall-note\n", &m, &l, &err);
	assert_null(err.data);
	assert_int_equal(l.n, 3);
	assert_string_equal(licenses_find(&l, "zlib"), "Zlib");
	assert_string_equal(licenses_find(&l, "gmp"), "GPL-2.0-or-later OR LGPL-3.0-or-later");
	assert_string_equal(licenses_find(&l, "linux"), "GPL-2.0-only WITH Linux-syscall-note");
	assert_null(licenses_find(&l, "bash"));
	licenses_free(&l);
	manifest_free(&m);
}

static void test_malformed(void **state)
{
	(void)state;
	struct manifest m;
	manifest_of(&m);
	struct licenses l = {0};
	struct buf err = {0};
	licenses_parse("t/licenses", "zlib\nbash GPL-3.0-or-later\nzlib Zlib\nzlib MIT\ngmp GPL-2.0+;rm\nlinux (GPL-2.0-only)\n", &m,
	               &l, &err);
	assert_non_null(err.data);
	print_message("%s", err.data);
	assert_non_null(strstr(err.data, "t/licenses:1: zlib: no licence expression after the name\n"));
	assert_non_null(strstr(err.data, "t/licenses:2: bash: no source of that name in the manifest\n"));
	assert_non_null(strstr(err.data, "t/licenses:4: zlib: a second line for this source\n"));
	assert_non_null(strstr(err.data, "t/licenses:5: gmp: 'GPL-2.0+;rm' is no SPDX licence expression\n"));
	assert_null(strstr(err.data, "t/licenses:3:"));
	assert_null(strstr(err.data, "t/licenses:6:"));
	assert_int_equal(l.n, 2); /* zlib (line 3) and linux */
	buf_free(&err);
	licenses_free(&l);
	manifest_free(&m);
}

/* The book's file names sources of the book's manifest only, each once, each a good expression. */
static void test_book_licenses(void **state)
{
	(void)state;
	if (access("book/licenses", R_OK) != 0 || access("book/sources", R_OK) != 0)
		skip();
	struct manifest m;
	assert_int_equal(manifest_load("book/sources", &m), 0);
	char *text = read_file("book/licenses", NULL);
	assert_non_null(text);
	struct licenses l = {0};
	struct buf err = {0};
	licenses_parse("book/licenses", text, &m, &l, &err);
	if (err.data)
		print_message("%s", err.data);
	assert_null(err.data);
	assert_true(l.n >= 20);
	assert_string_equal(licenses_find(&l, "linux"), "GPL-2.0-only WITH Linux-syscall-note");
	assert_null(licenses_find(&l, "glibc")); /* parts under several licences: no line */
	free(text);
	licenses_free(&l);
	manifest_free(&m);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_good),
		cmocka_unit_test(test_malformed),
		cmocka_unit_test(test_book_licenses),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
