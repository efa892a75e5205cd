/* digest: streaming SHA-256 and MD5 through the EVP interface of libcrypto. */
#include "sources/digest.h"

#include <errno.h>
#include <fcntl.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lib/util.h"

static void *start(const EVP_MD *md)
{
	EVP_MD_CTX *c = EVP_MD_CTX_new();
	if (c && EVP_DigestInit_ex(c, md, NULL) == 1)
		return c;
	EVP_MD_CTX_free(c);
	return NULL;
}

int digest_init(struct digest *d, bool sha256, bool md5)
{
	memset(d, 0, sizeof *d);
	if ((sha256 && !(d->sha256 = start(EVP_sha256()))) || (md5 && !(d->md5 = start(EVP_md5())))) {
		digest_abort(d);
		return errorf("libcrypto: cannot start a digest");
	}
	return 0;
}

void digest_update(struct digest *d, const void *data, size_t n)
{
	if (d->sha256)
		EVP_DigestUpdate(d->sha256, data, n);
	if (d->md5)
		EVP_DigestUpdate(d->md5, data, n);
	d->bytes += n;
}

static void finish(void *ctx, char *hex)
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int n = 0;
	if (!ctx) {
		if (hex)
			hex[0] = '\0';
		return;
	}
	EVP_DigestFinal_ex(ctx, md, &n);
	EVP_MD_CTX_free(ctx);
	if (!hex)
		return;
	for (unsigned int i = 0; i < n; i++)
		sprintf(hex + 2 * i, "%02x", md[i]);
	hex[2 * n] = '\0';
}

void digest_final(struct digest *d, char *sha256_hex, char *md5_hex)
{
	finish(d->sha256, sha256_hex);
	finish(d->md5, md5_hex);
	d->sha256 = d->md5 = NULL;
}

void digest_abort(struct digest *d)
{
	EVP_MD_CTX_free(d->sha256);
	EVP_MD_CTX_free(d->md5);
	d->sha256 = d->md5 = NULL;
}

int digest_file(const char *path, char *sha256_hex, char *md5_hex, unsigned long long *size)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	struct digest d;
	if (digest_init(&d, sha256_hex != NULL, md5_hex != NULL) < 0) {
		close(fd);
		errno = ENOMEM;
		return -1;
	}
	size_t cap = 1 << 20;
	char *chunk = xmalloc(cap);
	for (;;) {
		ssize_t n = read(fd, chunk, cap);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			int e = errno;
			digest_abort(&d);
			free(chunk);
			close(fd);
			errno = e;
			return -1;
		}
		if (n == 0)
			break;
		digest_update(&d, chunk, (size_t)n);
	}
	free(chunk);
	close(fd);
	if (size)
		*size = d.bytes;
	digest_final(&d, sha256_hex, md5_hex);
	return 0;
}

bool digest_hex_ok(const char *s, size_t n)
{
	if (!s || strlen(s) != n)
		return false;
	for (; *s; s++)
		if (!((*s >= '0' && *s <= '9') || (*s >= 'a' && *s <= 'f')))
			return false;
	return true;
}
