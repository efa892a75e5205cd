/* Unit tests of manifest: a good manifest, and each malformed case with its FILE:LINE: reason. */
#include "unit.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "book/manifest.h"

#define SHA_A "5d1aa2e3f0f6e4b1c1e1d1c1b1a191817161514131211100f0e0d0c0b0a09080"
#define MD5_A "590765DEE95907DBC3C856F7255BD669"
#define MD5_B "00000000000000000000000000000000"

static const char good[] =
	"# a comment\n"
	"\n"
	"source binutils\n"
	"  upstream 2.44 https://example.invalid/pub/binutils-2.44.tar.xz md5=" MD5_A "   # trailing comment\n"
	"  debian   2.44 binutils 2.44-3 binutils_2.44.orig.tar.xz sha256=" SHA_A "\n"
	"source gcc\n"
	"  debian 14.2.0 gcc-14 14.2.0-19 gcc-14_14.2.0.orig.tar.gz sha256=" SHA_A
	" extract=gcc-14-14.2.0/gcc-14.2.0-dfsg.tar.xz sha256x=" SHA_A "\n"
	"  upstream 14.2.0 https://example.invalid/gcc/gcc-14.2.0.tar.xz?x=1 md5=" MD5_A "\n"
	"source libcap\n"
	"\tdebian 2.73 libcap2 1:2.73-4 libcap2_2.73.orig.tar.xz md5=" MD5_A "\n"
	"source tz2\n"
	"  debian 2.73 libcap2 1:2.73-4 libcap2_2.73.orig.tar.xz md5=" MD5_A "\n" /* the same file, same sum */
	"source tz\n"
	"  upstream 2025a https://example.invalid/tz/ file=tzdata2025a.tar.gz sha256=" SHA_A "\n";

static void test_good(void **state)
{
	(void)state;
	struct manifest m;
	struct buf err = {0};
	int r = manifest_parse("t/sources", good, &m, &err);
	if (r)
		fprintf(stderr, "%s", err.data);
	assert_int_equal(r, 0);
	assert_null(err.data);
	assert_int_equal(m.n, 5);

	const struct source *b = manifest_find(&m, "binutils");
	assert_non_null(b);
	assert_int_equal(b->line, 3);
	assert_string_equal(b->version, "2.44");
	assert_int_equal(b->norigins, 2);
	assert_int_equal(b->origins[0].kind, ORIGIN_UPSTREAM);
	assert_string_equal(b->origins[0].file, "binutils-2.44.tar.xz");
	assert_string_equal(b->origins[0].md5, "590765dee95907dbc3c856f7255bd669"); /* lower-cased */
	assert_null(b->origins[0].sha256);
	assert_int_equal(b->origins[0].line, 4);
	assert_int_equal(b->origins[1].kind, ORIGIN_DEBIAN);
	assert_string_equal(b->origins[1].url, "pool/main/b/binutils/binutils_2.44.orig.tar.xz");
	assert_string_equal(b->origins[1].debian_pkg, "binutils");
	assert_string_equal(b->origins[1].debian_version, "2.44-3");
	assert_string_equal(origin_unpack_file(&b->origins[1]), "binutils_2.44.orig.tar.xz");

	const struct source *g = manifest_find(&m, "gcc");
	assert_non_null(g);
	/* The version is the upstream origin's even when a debian line comes first. */
	assert_string_equal(g->version, "14.2.0");
	assert_string_equal(g->origins[0].extract, "gcc-14-14.2.0/gcc-14.2.0-dfsg.tar.xz");
	assert_string_equal(g->origins[0].extract_file, "gcc-14.2.0-dfsg.tar.xz");
	assert_string_equal(g->origins[0].extract_sha256, SHA_A);
	assert_string_equal(origin_unpack_file(&g->origins[0]), "gcc-14.2.0-dfsg.tar.xz");
	assert_string_equal(g->origins[1].file, "gcc-14.2.0.tar.xz"); /* the query is not the name */

	const struct source *l = manifest_find(&m, "libcap");
	assert_string_equal(l->origins[0].url, "pool/main/libc/libcap2/libcap2_2.73.orig.tar.xz");
	assert_string_equal(l->version, "2.73");
	const struct source *t = manifest_find(&m, "tz");
	assert_string_equal(t->origins[0].file, "tzdata2025a.tar.gz");
	assert_null(manifest_find(&m, "nothing"));
	manifest_free(&m);
}

/* Each case: the manifest text, and the one message it must give. */
static const struct {
	const char *text;
	const char *message;
} bad[] = {
	{"source a\n  upstream 1 https://x.invalid/a.tar.gz md5=" MD5_A "\nsauce b\n",
	 "m:3: unknown keyword 'sauce' (expected source, upstream or debian)"},
	{"source a\n  upstream 1 https://x.invalid/a.tar.gz md5=abc\n",
	 "m:2: md5= wants 32 hex digits, got 3"},
	{"source a\n  debian 1 ab 1-1 ab_1.orig.tar.gz sha256=" MD5_A "\n",
	 "m:2: sha256= wants 64 hex digits, got 32"},
	{"source a\n  upstream 1 https://x.invalid/a.tar.gz md5=590765dee95907dbc3c856f7255bd66z\n",
	 "m:2: md5= has a non-hex character 'z'"},
	{"# c\nupstream 1 https://x.invalid/a.tar.gz md5=" MD5_A "\n",
	 "m:2: upstream line before any 'source' line"},
	{"source a\nsource b\n  upstream 1 https://x.invalid/b.tar.gz md5=" MD5_A "\n",
	 "m:1: source 'a' has no origins (add an upstream or debian line below it)"},
	{"source a\n  upstream 1 https://x.invalid/a.tar.gz md5=" MD5_A "\n\nsource z\n", 
	 "m:4: source 'z' has no origins (add an upstream or debian line below it)"},
	{"source a\n  upstream 1 https://x.invalid/a.tar.gz\n",
	 "m:2: upstream origin of 'a' has no checksum (give md5= or sha256=)"},
	{"source a\n  debian 1 ab 1-1 ab_1.orig.tar.gz\n",
	 "m:2: debian origin of 'a' has no checksum (give md5= or sha256=)"},
	{"source a\n  upstream 1 https://x.invalid/a.tar.gz md5=" MD5_A "\nsource a\n  debian 1 ab 1-1 ab_1.orig.tar.gz md5=" MD5_A "\n",
	 "m:3: duplicate source 'a' (first at line 1)"},
	{"source a\n  debian 1 ab 1-1 ab_1.orig.tar.gz sha256=" SHA_A " extract=a-1/a.tar.xz\n",
	 "m:2: debian: extract= needs sha256x= (the member's checksum)"},
	{"source a\n  debian 1 ab 1-1 ab_1.orig.tar.gz sha256=" SHA_A " sha256x=" SHA_A "\n",
	 "m:2: debian: sha256x= without extract="},
	{"source a\n  upstream 1 https://x.invalid/a.tar.gz md5=" MD5_A " sha1=abc\n",
	 "m:2: upstream: unknown option 'sha1=' (known: file=, md5=, sha256=)"},
	{"source a\n  upstream 1 https://x.invalid/a.tar.gz md5=" MD5_A " md5=" MD5_A "\n",
	 "m:2: upstream: md5= given twice"},
	{"source a\n  upstream 1 x.invalid/a.tar.gz md5=" MD5_A "\n",
	 "m:2: upstream: 'x.invalid/a.tar.gz' is not a URL (SCHEME://HOST/PATH)"},
	{"source a\n  upstream 1 https://x.invalid/dir/ md5=" MD5_A "\n",
	 "m:2: upstream: the URL 'https://x.invalid/dir/' ends without a file name; give file=NAME"},
	{"source a\n  upstream 1 https://x.invalid/a md5=" MD5_A " file=../a\n",
	 "m:2: upstream: the file name '../a' has a '/' (a file name in the cache is one path part)"},
	{"source a\n  upstream 1\n",
	 "m:2: upstream wants VERSION URL [file=NAME] [md5=HEX] [sha256=HEX]"},
	{"source a\n  debian 1 a 1-1\n",
	 "m:2: debian wants VERSION SRCPKG DEBVERSION ORIGFILE [sha256=HEX] [md5=HEX] [extract=MEMBER sha256x=HEX]"},
	{"source a b\n", "m:1: source wants one NAME"},
	{"source a/b\n", "m:1: source name 'a/b' may only have letters, digits and . _ + -"},
	{"source a\n  debian 1 A 1-1 a_1.orig.tar.gz md5=" MD5_A "\n",
	 "m:2: debian: 'A' is not a Debian source package name"},
	{"source a\n  debian 1 ab 1-1 ab_1.orig.tar.gz md5=" MD5_A " stray\n",
	 "m:2: debian: unexpected word 'stray' (options are KEY=VALUE)"},
	{"source a\n  debian 1 ab 1-1 ab_1.orig.tar.gz md5=" MD5_A " extract=../x.tar sha256x=" SHA_A "\n",
	 "m:2: debian: extract= member '../x.tar' has '..'"},
	{"source a\n  debian 1 ab 1-1 ab_1.orig.tar.gz md5=" MD5_A "\n"
	 "source b\n  upstream 1 https://x.invalid/ab_1.orig.tar.gz md5=" MD5_B "\n",
	 "m:4: the file 'ab_1.orig.tar.gz' is also named at line 2 with another checksum (a file in the cache has one content)"},
};

static void test_malformed(void **state)
{
	(void)state;
	for (size_t i = 0; i < ARRAY_LEN(bad); i++) {
		struct manifest m;
		struct buf err = {0};
		int r = manifest_parse("m", bad[i].text, &m, &err);
		char *want = xasprintf("%s\n", bad[i].message);
		if (r != -1 || !err.data || strcmp(err.data, want))
			fail_msg("case %zu: wanted '%s', got '%s'", i, bad[i].message, err.data ? err.data : "(nothing)");
		assert_int_equal(m.n, 0);
		assert_null(m.src);
		free(want);
		buf_free(&err);
		manifest_free(&m);
	}
}

/* Several problems: every one is reported, each on its own line, and nothing is returned. */
static void test_all_errors_reported(void **state)
{
	(void)state;
	const char *text = "bogus\nsource a\n  upstream 1 https://x.invalid/a.tar.gz md5=1\n"
	                   "source b\n  upstream 1 https://x.invalid/b.tar.gz md5=" MD5_A "\n";
	struct manifest m;
	struct buf err = {0};
	assert_int_equal(manifest_parse("m", text, &m, &err), -1);
	assert_string_equal(err.data, "m:1: unknown keyword 'bogus' (expected source, upstream or debian)\n"
	                              "m:3: md5= wants 32 hex digits, got 1\n");
	buf_free(&err);
	manifest_free(&m);
}

static void test_load(void **state)
{
	(void)state;
	char path[] = "/tmp/lfsbuild-manifest-XXXXXX";
	int fd = mkstemp(path);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, good, strlen(good)), (ssize_t)strlen(good));
	close(fd);
	struct manifest m;
	assert_int_equal(manifest_load(path, &m), 0);
	assert_string_equal(m.path, path);
	assert_int_equal(m.n, 5);
	manifest_free(&m);
	unlink(path);
	assert_int_equal(manifest_load("/nonexistent/sources", &m), -1);
}

/* The real manifest, once it exists, parses. */
static void test_book_sources(void **state)
{
	(void)state;
	const char *path = "book/sources";
	if (access(path, R_OK) != 0)
		skip();
	struct manifest m;
	assert_int_equal(manifest_load(path, &m), 0);
	assert_true(m.n > 0);
	manifest_free(&m);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_good),
		cmocka_unit_test(test_malformed),
		cmocka_unit_test(test_all_errors_reported),
		cmocka_unit_test(test_load),
		cmocka_unit_test(test_book_sources),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
