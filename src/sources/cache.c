/* cache: stamps, locks and .part files of the source cache. */
#include "sources/cache.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "sources/digest.h"

#define STATE_DIR ".lfsbuild"

static char *state_path(const char *dir, const char *file, const char *suffix)
{
	return xasprintf("%s/" STATE_DIR "/%s%s", dir, file, suffix);
}

char *cache_stamp_path(const char *dir, const char *file)
{
	return state_path(dir, file, ".stamp");
}

char *cache_part_path(const char *dir, const char *file)
{
	return xasprintf("%s/%s.part", dir, file);
}

struct stamp {
	unsigned long long size, ino;
	long long sec, nsec;
	char sha256[65], md5[33];
	char from[1024];
};

static int stamp_read(const char *dir, const char *file, struct stamp *s)
{
	char *p = cache_stamp_path(dir, file);
	char *text = read_file(p, NULL);
	free(p);
	if (!text)
		return -1;
	memset(s, 0, sizeof *s);
	int got = 0;
	char *save = NULL;
	for (char *l = strtok_r(text, "\n", &save); l; l = strtok_r(NULL, "\n", &save)) {
		if (sscanf(l, "size %llu", &s->size) == 1)
			got |= 1;
		else if (sscanf(l, "mtime %lld.%lld", &s->sec, &s->nsec) == 2)
			got |= 2;
		else if (sscanf(l, "inode %llu", &s->ino) == 1)
			got |= 4;
		else if (sscanf(l, "sha256 %64s", s->sha256) == 1)
			got |= 8;
		else if (sscanf(l, "md5 %32s", s->md5) == 1)
			got |= 16;
		else if (str_starts(l, "from "))
			snprintf(s->from, sizeof s->from, "%s", l + 5);
	}
	free(text);
	return got == 31 && digest_hex_ok(s->sha256, 64) && digest_hex_ok(s->md5, 32) ? 0 : -1;
}

char *cache_stamp_from(const char *dir, const char *file)
{
	struct stamp s;
	if (stamp_read(dir, file, &s) < 0 || !s.from[0])
		return NULL;
	return xstrdup(s.from);
}

int cache_stamp_write(const char *dir, const char *file, const char *sha256, const char *md5, const char *from)
{
	char *p = path_join(dir, file);
	struct stat st;
	int r = stat(p, &st);
	free(p);
	if (r < 0)
		return -1;
	char *sd = path_join(dir, STATE_DIR);
	if (mkdir_p(sd, 0755) < 0) {
		free(sd);
		return -1;
	}
	free(sd);
	char *text = xasprintf("size %llu\nmtime %lld.%09ld\ninode %llu\nsha256 %s\nmd5 %s\n%s%s%s",
	                       (unsigned long long)st.st_size, (long long)st.st_mtim.tv_sec, st.st_mtim.tv_nsec,
	                       (unsigned long long)st.st_ino, sha256, md5, from ? "from " : "", from ? from : "",
	                       from ? "\n" : "");
	char *sp = cache_stamp_path(dir, file);
	r = write_file_atomic(sp, text, strlen(text), 0644);
	free(sp);
	free(text);
	return r;
}

int cache_compare(const struct want *want, const char *sha256, const char *md5, struct buf *why)
{
	if (want->sha256 && strcmp(want->sha256, sha256)) {
		if (why)
			buf_printf(why, "checksum mismatch: sha256 expected %s, got %s", want->sha256, sha256);
		return -1;
	}
	if (want->md5 && strcmp(want->md5, md5)) {
		if (why)
			buf_printf(why, "checksum mismatch: md5 expected %s, got %s", want->md5, md5);
		return -1;
	}
	return 0;
}

enum cache_state cache_check(const char *dir, const char *file, const struct want *want,
                             enum cache_mode mode, char *sha256_out, struct buf *why)
{
	char *p = path_join(dir, file);
	struct stat st;
	if (stat(p, &st) < 0 || !S_ISREG(st.st_mode)) {
		free(p);
		return CACHE_MISSING;
	}
	struct stamp s;
	if (mode != CACHE_REHASH && stamp_read(dir, file, &s) == 0 && s.size == (unsigned long long)st.st_size &&
	    s.sec == (long long)st.st_mtim.tv_sec && s.nsec == st.st_mtim.tv_nsec &&
	    s.ino == (unsigned long long)st.st_ino && cache_compare(want, s.sha256, s.md5, NULL) == 0) {
		if (sha256_out)
			memcpy(sha256_out, s.sha256, 65);
		free(p);
		return CACHE_OK;
	}
	if (mode == CACHE_STAMP_ONLY) {
		free(p);
		return CACHE_UNVERIFIED;
	}
	char sha[65], md5[33];
	if (digest_file(p, sha, md5, NULL) < 0) {
		if (why)
			buf_printf(why, "cannot read %s: %s", p, strerror(errno));
		free(p);
		return CACHE_MISMATCH;
	}
	free(p);
	if (cache_compare(want, sha, md5, why) < 0)
		return CACHE_MISMATCH;
	char *from = cache_stamp_from(dir, file);
	cache_stamp_write(dir, file, sha, md5, from); /* a read-only cache is still usable */
	free(from);
	if (sha256_out)
		memcpy(sha256_out, sha, 65);
	return CACHE_OK;
}

void cache_forget(const char *dir, const char *file)
{
	char *sp = cache_stamp_path(dir, file);
	unlink(sp);
	free(sp);
}

void cache_remove(const char *dir, const char *file)
{
	char *p = path_join(dir, file), *sp = cache_stamp_path(dir, file);
	unlink(p);
	unlink(sp);
	free(p);
	free(sp);
}

static int lock_open(const char *dir, const char *file)
{
	char *sd = path_join(dir, STATE_DIR);
	if (mkdir_p(sd, 0755) < 0) {
		free(sd);
		return -1;
	}
	free(sd);
	char *lp = state_path(dir, file, ".lock");
	int fd = open(lp, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
	free(lp);
	return fd;
}

static void lock_note_owner(int fd)
{
	char pid[32];
	int n = snprintf(pid, sizeof pid, "%ld\n", (long)getpid());
	if (ftruncate(fd, 0) == 0 && pwrite(fd, pid, (size_t)n, 0) < 0)
		return;
}

static int close_fail(int fd)
{
	int e = errno;
	close(fd);
	errno = e;
	return -1;
}

/* Take the lock of FILE: at once (wait false: -1 with EWOULDBLOCK when another holds it), or
 * waiting for it, saying who holds it unless quiet. */
static int lock_take(const char *dir, const char *file, bool wait, bool quiet)
{
	int fd = lock_open(dir, file);
	if (fd < 0)
		return -1;
	if (flock(fd, LOCK_EX | LOCK_NB) < 0) {
		if (!wait || errno != EWOULDBLOCK)
			return close_fail(fd);
		char owner[32] = "";
		ssize_t n = pread(fd, owner, sizeof owner - 1, 0);
		owner[n > 0 ? n : 0] = '\0';
		str_trim(owner);
		/* Another thread of this run holding it (two sources sharing a file) is not news. */
		if (!quiet && atol(owner) != (long)getpid()) {
			fprintf(stderr, "lfsbuild: %s/%s is being written by another run (pid %s); waiting for it\n", dir,
			        file, *owner ? owner : "unknown");
		}
		while (flock(fd, LOCK_EX) < 0)
			if (errno != EINTR)
				return close_fail(fd);
	}
	lock_note_owner(fd);
	return fd;
}

int cache_trylock(const char *dir, const char *file)
{
	return lock_take(dir, file, false, true);
}

int cache_lock(const char *dir, const char *file, bool quiet)
{
	return lock_take(dir, file, true, quiet);
}

long cache_lock_owner(const char *dir, const char *file)
{
	char *lp = state_path(dir, file, ".lock");
	char *text = read_file(lp, NULL);
	free(lp);
	long pid = text ? atol(text) : 0;
	free(text);
	return pid;
}

void cache_unlock(int fd)
{
	if (fd >= 0)
		close(fd); /* closing the last descriptor releases the flock */
}

int cache_part_open(const char *dir, const char *file)
{
	char *pp = cache_part_path(dir, file);
	unlink(pp); /* a stale .part of a killed run is never continued */
	int fd = open(pp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	free(pp);
	return fd;
}

void cache_part_discard(const char *dir, const char *file, int fd)
{
	if (fd >= 0)
		close(fd);
	char *pp = cache_part_path(dir, file);
	unlink(pp);
	free(pp);
}

int cache_part_commit(const char *dir, const char *file, int fd, const char *sha256, const char *md5,
                      const char *from)
{
	char *pp = cache_part_path(dir, file), *fp = path_join(dir, file);
	int r = -1;
	if (fsync(fd) < 0) {
		close(fd);
		goto out;
	}
	if (close(fd) < 0)
		goto out;
	/* The old stamp goes first: a crash between the two steps leaves a file without a stamp,
	 * which is hashed again, never a stamp that vouches for the wrong file. */
	char *sp = cache_stamp_path(dir, file);
	unlink(sp);
	free(sp);
	if (rename(pp, fp) < 0)
		goto out;
	int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd >= 0) {
		fsync(dfd);
		close(dfd);
	}
	r = cache_stamp_write(dir, file, sha256, md5, from);
out:;
	int e = errno;
	if (r < 0)
		unlink(pp);
	free(pp);
	free(fp);
	errno = e;
	return r;
}
