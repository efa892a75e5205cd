/* Unit tests of the fetch side: digests of known data, the apt configuration reader, the order
 * of providers, .part + rename, stamps, the lock between two processes, fetch_resolve. */
#include "unit.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "sources/apt.h"
#include "sources/cache.h"
#include "sources/digest.h"
#include "sources/fetch.h"
#include "book/manifest.h"

static char *tmpdir(void)
{
	char tmpl[] = "/tmp/lfsbuild-unit-fetch-XXXXXX";
	assert_non_null(mkdtemp(tmpl));
	return xstrdup(tmpl);
}

static void put(const char *dir, const char *name, const char *text)
{
	char *p = path_join(dir, name);
	assert_int_equal(write_file_atomic(p, text, strlen(text), 0644), 0);
	free(p);
}

static void test_digest_known(void **state)
{
	(void)state;
	struct digest d;
	char sha[65], md5[33];
	assert_int_equal(digest_init(&d, true, true), 0);
	digest_update(&d, "a", 1);
	digest_update(&d, "bc", 2); /* streamed in pieces */
	digest_final(&d, sha, md5);
	assert_string_equal(sha, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
	assert_string_equal(md5, "900150983cd24fb0d6963f7d28e17f72");
	assert_int_equal(digest_init(&d, true, false), 0);
	digest_final(&d, sha, md5);
	assert_string_equal(sha, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
	assert_string_equal(md5, "");

	/* A file of 3 MB of 'a': the same as the streamed digest of the same bytes. */
	char *dir = tmpdir();
	char *p = path_join(dir, "big");
	size_t n = 3 * 1000 * 1000;
	char *data = xmalloc(n);
	memset(data, 'a', n);
	assert_int_equal(write_file_atomic(p, data, n, 0644), 0);
	char want[65];
	assert_int_equal(digest_init(&d, true, false), 0);
	for (size_t i = 0; i < n; i += 7777)
		digest_update(&d, data + i, i + 7777 < n ? 7777 : n - i);
	digest_final(&d, want, NULL);
	unsigned long long size = 0;
	assert_int_equal(digest_file(p, sha, md5, &size), 0);
	assert_int_equal(size, n);
	assert_string_equal(sha, want);
	assert_int_equal(digest_file("/nonexistent", sha, md5, NULL), -1);
	assert_true(digest_hex_ok(sha, 64));
	assert_false(digest_hex_ok("ABC", 3));
	free(data);
	free(p);
	remove_tree(dir);
	free(dir);
}

static void test_apt_sources(void **state)
{
	(void)state;
	struct strv u = {0};
	apt_parse_list("# comment\n"
	               "deb http://one.invalid/debian bookworm main\n"
	               "deb-src [ arch=amd64 signed-by=/k.gpg ] http://two.invalid/debian/ bookworm main\n"
	               "deb [trusted=yes] file:/srv/mirror ./\n"
	               "rpm http://no.invalid/ x\n"
	               "#deb http://commented.invalid/ x\n"
	               "deb http://one.invalid/debian bookworm-updates main\n",
	               &u);
	assert_int_equal(u.n, 3);
	assert_string_equal(u.v[0], "http://one.invalid/debian");
	assert_string_equal(u.v[1], "http://two.invalid/debian");
	assert_string_equal(u.v[2], "file:/srv/mirror");
	apt_parse_deb822("Types: deb\n"
	                 "# comment inside\n"
	                 "URIs: http://three.invalid/debian\n"
	                 "  http://four.invalid/debian\n"
	                 "Suites: bookworm\n"
	                 "\n"
	                 "Types: deb\n"
	                 "URIs: http://off.invalid/debian\n"
	                 "Enabled: no\n"
	                 "\n"
	                 "Types: rpm\n"
	                 "URIs: http://five.invalid/\n",
	                 &u);
	assert_int_equal(u.n, 5);
	assert_string_equal(u.v[3], "http://three.invalid/debian");
	assert_string_equal(u.v[4], "http://four.invalid/debian");
	strv_free(&u);

	/* A whole root: sources.list first, then sources.list.d in name order; other files ignored. */
	char *root = tmpdir();
	char *d = path_join(root, "etc/apt/sources.list.d");
	assert_int_equal(mkdir_p(d, 0755), 0);
	char *etc = path_join(root, "etc/apt");
	put(etc, "sources.list", "deb http://a.invalid/debian x main\n");
	put(d, "b.sources", "Types: deb\nURIs: http://c.invalid/debian\n");
	put(d, "a.list", "deb http://b.invalid/debian x main\n");
	put(d, "z.list.disabled", "deb http://no.invalid/debian x main\n");
	assert_int_equal(apt_mirror_uris(root, &u), 3);
	assert_string_equal(u.v[0], "http://a.invalid/debian");
	assert_string_equal(u.v[1], "http://b.invalid/debian");
	assert_string_equal(u.v[2], "http://c.invalid/debian");
	strv_free(&u);
	remove_tree(root);
	free(etc);
	free(d);
	free(root);
}

#define SHA "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"

static const char manifest_text[] =
	"source abc\n"
	"  upstream 1.0 https://up.invalid/abc-1.0.tar.gz sha256=" SHA "\n"
	"  debian 1.0 libabc 1.0-1 libabc_1.0.orig.tar.xz sha256=" SHA "\n";

static void test_plan_order(void **state)
{
	(void)state;
	struct manifest m;
	struct buf err = {0};
	assert_int_equal(manifest_parse("m", manifest_text, &m, &err), 0);
	struct strv dirs = {0}, mirrors = {0}, apt = {0};
	strv_add(&dirs, "/d1");
	strv_add(&dirs, "/d2/");
	strv_add(&mirrors, "http://mirror.invalid/src/");
	strv_add(&apt, "http://deb1.invalid/debian");
	strv_add(&apt, "http://deb2.invalid/debian");
	struct fetch_places pl = {"/cache", &dirs, &mirrors, &apt};
	struct plan p;
	fetch_plan(&pl, &m.src[0], &p);
	static const struct {
		enum provider kind;
		int origin;
		const char *where;
	} want[] = {
		{PROV_CACHE, 0, "/cache/abc-1.0.tar.gz"},
		{PROV_CACHE, 1, "/cache/libabc_1.0.orig.tar.xz"},
		{PROV_MIRROR_DIR, 0, "/d1/abc-1.0.tar.gz"},
		{PROV_MIRROR_DIR, 1, "/d1/libabc_1.0.orig.tar.xz"},
		{PROV_MIRROR_DIR, 0, "/d2/abc-1.0.tar.gz"},
		{PROV_MIRROR_DIR, 1, "/d2/libabc_1.0.orig.tar.xz"},
		{PROV_MIRROR, 0, "http://mirror.invalid/src/abc-1.0.tar.gz"},
		{PROV_MIRROR, 1, "http://mirror.invalid/src/libabc_1.0.orig.tar.xz"},
		{PROV_UPSTREAM, 0, "https://up.invalid/abc-1.0.tar.gz"},
		{PROV_DEBIAN, 1, "http://deb1.invalid/debian/pool/main/liba/libabc/libabc_1.0.orig.tar.xz"},
		{PROV_DEBIAN, 1, "http://deb2.invalid/debian/pool/main/liba/libabc/libabc_1.0.orig.tar.xz"},
	};
	assert_int_equal(p.n, ARRAY_LEN(want));
	for (size_t i = 0; i < p.n; i++) {
		assert_int_equal(p.a[i].kind, want[i].kind);
		assert_ptr_equal(p.a[i].origin, &m.src[0].origins[want[i].origin]);
		assert_string_equal(p.a[i].where, want[i].where);
	}
	fetch_plan_free(&p);

	/* Nothing configured: the cache, then the origins; a debian origin without apt URIs has none. */
	struct strv none = {0};
	struct fetch_places bare = {"/cache", &none, &none, &none};
	fetch_plan(&bare, &m.src[0], &p);
	assert_int_equal(p.n, 3);
	assert_int_equal(p.a[2].kind, PROV_UPSTREAM);
	fetch_plan_free(&p);
	/* The same mirror named twice is tried once. */
	strv_add(&mirrors, "http://mirror.invalid/src");
	fetch_plan(&pl, &m.src[0], &p);
	assert_int_equal(p.n, ARRAY_LEN(want));
	fetch_plan_free(&p);
	assert_string_equal(provider_name(PROV_MIRROR_DIR), "mirror-dir");
	strv_free(&dirs);
	strv_free(&mirrors);
	strv_free(&apt);
	manifest_free(&m);
}

static void test_part_commit_and_stamp(void **state)
{
	(void)state;
	char *dir = tmpdir();
	int fd = cache_part_open(dir, "abc.tar");
	assert_true(fd >= 0);
	char *part = cache_part_path(dir, "abc.tar"), *file = path_join(dir, "abc.tar");
	assert_true(path_exists(part));
	assert_false(path_exists(file)); /* nothing under the real name while it is written */
	assert_int_equal(write(fd, "abc", 3), 3);
	assert_int_equal(cache_part_commit(dir, "abc.tar", fd, SHA, "900150983cd24fb0d6963f7d28e17f72", "http://x/abc.tar"), 0);
	assert_false(path_exists(part));
	assert_true(path_exists(file));

	struct want w = {SHA, NULL};
	char sha[65];
	assert_int_equal(cache_check(dir, "abc.tar", &w, CACHE_STAMP_ONLY, sha, NULL), CACHE_OK);
	assert_string_equal(sha, SHA);
	char *from = cache_stamp_from(dir, "abc.tar");
	assert_string_equal(from, "http://x/abc.tar");
	free(from);
	struct want md5only = {NULL, "900150983cd24fb0d6963f7d28e17f72"};
	assert_int_equal(cache_check(dir, "abc.tar", &md5only, CACHE_STAMP_ONLY, sha, NULL), CACHE_OK);
	assert_string_equal(sha, SHA); /* the sha256 is known even when only the md5 was asked */
	struct want other = {"0000000000000000000000000000000000000000000000000000000000000000", NULL};
	struct buf why = {0};
	assert_int_equal(cache_check(dir, "abc.tar", &other, CACHE_HASH_NEEDED, NULL, &why), CACHE_MISMATCH);
	assert_true(str_starts(why.data, "checksum mismatch: sha256 expected 0000"));
	assert_non_null(strstr(why.data, "got " SHA));
	buf_free(&why);

	/* Changed content with a new mtime: the stamp no longer vouches for it. */
	assert_int_equal(write_file_atomic(file, "abd", 3, 0644), 0);
	assert_int_equal(cache_check(dir, "abc.tar", &w, CACHE_STAMP_ONLY, NULL, NULL), CACHE_UNVERIFIED);
	assert_int_equal(cache_check(dir, "abc.tar", &w, CACHE_HASH_NEEDED, NULL, NULL), CACHE_MISMATCH);
	assert_int_equal(write_file_atomic(file, "abc", 3, 0644), 0);
	assert_int_equal(cache_check(dir, "abc.tar", &w, CACHE_HASH_NEEDED, NULL, NULL), CACHE_OK); /* and stamps */
	assert_int_equal(cache_check(dir, "abc.tar", &w, CACHE_STAMP_ONLY, NULL, NULL), CACHE_OK);
	assert_int_equal(cache_check(dir, "abc.tar", &w, CACHE_REHASH, NULL, NULL), CACHE_OK);

	/* A discarded .part leaves nothing; a stale .part is truncated by the next open. */
	fd = cache_part_open(dir, "x.tar");
	assert_int_equal(write(fd, "junk", 4), 4);
	close(fd);
	fd = cache_part_open(dir, "x.tar");
	struct stat st;
	char *xpart = cache_part_path(dir, "x.tar");
	assert_int_equal(stat(xpart, &st), 0);
	assert_int_equal(st.st_size, 0);
	cache_part_discard(dir, "x.tar", fd);
	assert_false(path_exists(xpart));
	assert_int_equal(cache_check(dir, "x.tar", &w, CACHE_HASH_NEEDED, NULL, NULL), CACHE_MISSING);
	cache_remove(dir, "abc.tar");
	assert_false(path_exists(file));
	free(xpart);
	free(part);
	free(file);
	remove_tree(dir);
	free(dir);
}

static void test_lock_two_processes(void **state)
{
	(void)state;
	char *dir = tmpdir();
	int pipefd[2], back[2];
	assert_int_equal(pipe(pipefd), 0);
	assert_int_equal(pipe(back), 0);
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		int fd = cache_lock(dir, "f.tar", true);
		char c = fd >= 0 ? 'L' : 'E';
		if (write(pipefd[1], &c, 1) != 1)
			_exit(2);
		if (read(back[0], &c, 1) != 1) /* hold it until told */
			_exit(2);
		cache_unlock(fd);
		_exit(0);
	}
	char c;
	assert_int_equal(read(pipefd[0], &c, 1), 1);
	assert_int_equal(c, 'L');
	errno = 0;
	assert_int_equal(cache_trylock(dir, "f.tar"), -1);
	assert_int_equal(errno, EWOULDBLOCK);
	/* Another file is not held. */
	int other = cache_trylock(dir, "g.tar");
	assert_true(other >= 0);
	cache_unlock(other);
	/* The lock file names the holder. */
	char *lp = xasprintf("%s/.lfsbuild/f.tar.lock", dir);
	char *text = read_file(lp, NULL);
	assert_int_equal(atol(text), pid);
	free(text);
	assert_int_equal(cache_lock_owner(dir, "f.tar"), pid);
	/* The waiting side gets it once the holder lets go. */
	assert_int_equal(write(back[1], "x", 1), 1);
	int fd = cache_lock(dir, "f.tar", true);
	assert_true(fd >= 0);
	int status;
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	text = read_file(lp, NULL);
	assert_int_equal(atol(text), getpid());
	free(text);
	/* A holder killed with SIGKILL releases the lock. */
	cache_unlock(fd);
	pid = fork();
	if (pid == 0) {
		cache_lock(dir, "f.tar", true);
		if (write(pipefd[1], "L", 1) != 1)
			_exit(2);
		pause();
		_exit(0);
	}
	assert_int_equal(read(pipefd[0], &c, 1), 1);
	assert_int_equal(cache_trylock(dir, "f.tar"), -1);
	kill(pid, SIGKILL);
	waitpid(pid, &status, 0);
	fd = cache_trylock(dir, "f.tar");
	assert_true(fd >= 0);
	cache_unlock(fd);
	close(pipefd[0]);
	close(pipefd[1]);
	close(back[0]);
	close(back[1]);
	free(lp);
	remove_tree(dir);
	free(dir);
}

static void test_resolve(void **state)
{
	(void)state;
	char *dir = tmpdir();
	struct manifest m;
	struct buf err = {0};
	const char *text = "source abc\n"
	                   "  upstream 1.0 https://up.invalid/abc-1.0.tar.gz sha256=" SHA "\n"
	                   "source gz\n"
	                   "  debian 1 gz 1-1 gz_1.orig.tar.gz md5=900150983cd24fb0d6963f7d28e17f72"
	                   " extract=gz-1/inner.tar sha256x=" SHA "\n";
	assert_int_equal(manifest_parse("m", text, &m, &err), 0);
	struct config cfg;
	memset(&cfg, 0, sizeof cfg);
	cfg.sources = dir;
	char *path, *sha;
	assert_int_equal(fetch_resolve(&cfg, &m.src[0], &path, &sha), -1);
	assert_null(path);
	/* A file dropped into the cache without a stamp is hashed once and accepted. */
	put(dir, "abc-1.0.tar.gz", "abc");
	assert_int_equal(fetch_resolve(&cfg, &m.src[0], &path, &sha), 0);
	char *want = path_join(dir, "abc-1.0.tar.gz");
	assert_string_equal(path, want);
	assert_string_equal(sha, SHA);
	free(path);
	free(sha);
	free(want);
	/* extract=: the member is what the recipe unpacks; the outer file alone is not enough. */
	put(dir, "gz_1.orig.tar.gz", "abc");
	assert_int_equal(fetch_resolve(&cfg, &m.src[1], &path, &sha), -1);
	put(dir, "inner.tar", "abc");
	assert_int_equal(fetch_resolve(&cfg, &m.src[1], &path, &sha), 0);
	assert_true(str_ends(path, "/inner.tar"));
	free(path);
	free(sha);
	/* A file that does not match is refused. */
	put(dir, "abc-1.0.tar.gz", "abd");
	assert_int_equal(fetch_resolve(&cfg, &m.src[0], &path, &sha), -1);
	manifest_free(&m);
	remove_tree(dir);
	free(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_digest_known),
		cmocka_unit_test(test_apt_sources),
		cmocka_unit_test(test_plan_order),
		cmocka_unit_test(test_part_commit_and_stamp),
		cmocka_unit_test(test_lock_two_processes),
		cmocka_unit_test(test_resolve),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
