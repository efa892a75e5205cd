/* digest: SHA-256 and MD5 computed together while bytes stream by (libcrypto EVP). */
#pragma once
#include <stdbool.h>
#include <stddef.h>

struct digest {
	void *sha256, *md5;     /* EVP_MD_CTX *, NULL when not wanted */
	unsigned long long bytes;
};

/* Start the digests asked for. Returns 0 or -1 (libcrypto failure, said on stderr). */
int digest_init(struct digest *d, bool sha256, bool md5);
void digest_update(struct digest *d, const void *data, size_t n);
/* Finish: lower-case hex into sha256_hex[65] / md5_hex[33] (either may be NULL). Frees the state. */
void digest_final(struct digest *d, char *sha256_hex, char *md5_hex);
/* Release without a result (on an aborted transfer). */
void digest_abort(struct digest *d);
/* Digest a whole file. Returns 0, or -1 with errno set (read error). */
int digest_file(const char *path, char *sha256_hex, char *md5_hex, unsigned long long *size);
/* Is `s` lower-case hex of exactly `n` digits? */
bool digest_hex_ok(const char *s, size_t n);
