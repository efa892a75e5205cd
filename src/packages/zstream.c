/* zstream: zstd with a content checksum, through libzstd's streaming API. */
#include "packages/zstream.h"

#include <archive.h>
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zstd.h>

#include "lib/util.h"

struct zout {
	ZSTD_CCtx *cctx;
	int fd;
	void *buf;
	size_t cap;
};

static int write_all(int fd, const void *p, size_t n)
{
	const char *c = p;
	while (n) {
		ssize_t k = write(fd, c, n);
		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0)
			return -1;
		c += k;
		n -= (size_t)k;
	}
	return 0;
}

/* Feed `len` bytes (or, with `end`, the frame's end) through the compressor to the file. */
static int pump(struct archive *a, struct zout *z, const void *data, size_t len, ZSTD_EndDirective end)
{
	ZSTD_inBuffer in = {data, len, 0};
	for (;;) {
		ZSTD_outBuffer out = {z->buf, z->cap, 0};
		size_t left = ZSTD_compressStream2(z->cctx, &out, &in, end);
		if (ZSTD_isError(left)) {
			archive_set_error(a, EIO, "zstd: %s", ZSTD_getErrorName(left));
			return -1;
		}
		if (out.pos && write_all(z->fd, z->buf, out.pos) < 0) {
			archive_set_error(a, errno ? errno : EIO, "write: %s", strerror(errno ? errno : EIO));
			return -1;
		}
		if (end == ZSTD_e_end ? left == 0 : in.pos == in.size)
			return 0;
	}
}

static la_ssize_t zwrite(struct archive *a, void *data, const void *buf, size_t len)
{
	return pump(a, data, buf, len, ZSTD_e_continue) < 0 ? -1 : (la_ssize_t)len;
}

static int zclose(struct archive *a, void *data)
{
	return pump(a, data, NULL, 0, ZSTD_e_end) < 0 ? ARCHIVE_FATAL : ARCHIVE_OK;
}

static int zfree(struct archive *a, void *data)
{
	(void)a;
	struct zout *z = data;
	ZSTD_freeCCtx(z->cctx);
	free(z->buf);
	free(z);
	return ARCHIVE_OK;
}

int zstream_open_write(struct archive *w, int fd, int level)
{
	struct zout *z = xcalloc(1, sizeof *z);
	z->fd = fd;
	z->cap = ZSTD_CStreamOutSize();
	z->buf = xmalloc(z->cap);
	z->cctx = ZSTD_createCCtx();
	if (!z->cctx || ZSTD_isError(ZSTD_CCtx_setParameter(z->cctx, ZSTD_c_compressionLevel, level)) ||
	    ZSTD_isError(ZSTD_CCtx_setParameter(z->cctx, ZSTD_c_checksumFlag, 1))) {
		zfree(w, z);
		archive_set_error(w, ENOMEM, "zstd: cannot set up the compressor");
		return ARCHIVE_FATAL;
	}
	/* a tar's blocks, but the last one not padded to 10240 bytes: the frame is the container */
	archive_write_set_bytes_in_last_block(w, 1);
	return archive_write_open2(w, z, NULL, zwrite, zclose, zfree);
}

/* The frame header's descriptor byte says whether a content checksum follows the frame. */
static bool frame_has_checksum(const unsigned char *p, size_t n)
{
	static const unsigned char magic[4] = {0x28, 0xb5, 0x2f, 0xfd};
	return n >= 5 && memcmp(p, magic, 4) == 0 && (p[4] & 0x04);
}

int zstream_check(int fd, const char *shown, char *errbuf, size_t errlen)
{
	if (lseek(fd, 0, SEEK_SET) < 0)
		return set_error(errbuf, errlen, "%s: cannot read it: %s", shown, strerror(errno));
	ZSTD_DCtx *d = ZSTD_createDCtx();
	size_t icap = ZSTD_DStreamInSize(), ocap = ZSTD_DStreamOutSize();
	unsigned char *ibuf = xmalloc(icap), *obuf = xmalloc(ocap);
	int rc = -1;
	bool at_frame_start = true, any = false;
	size_t need = 0; /* 0: a frame just ended (or none began) */
	for (;;) {
		ssize_t n = read(fd, ibuf, icap);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			set_error(errbuf, errlen, "%s: cannot read it: %s", shown, strerror(errno));
			goto out;
		}
		if (n == 0)
			break;
		ZSTD_inBuffer in = {ibuf, (size_t)n, 0};
		bool full = false; /* the output was full: the decoder may hold more without new input */
		while (in.pos < in.size || full) {
			if (at_frame_start) {
				/* the descriptor is the fifth byte of a frame; lfsbuild writes one frame, so a
				 * frame that begins later is not ours */
				if (!frame_has_checksum(ibuf + in.pos, in.size - in.pos)) {
					set_error(errbuf, errlen, "%s: %s", shown,
					          any ? "something other than its zstd frame follows the archive"
					              : "not a zstd stream with a content checksum (not written by lfsbuild)");
					goto out;
				}
				at_frame_start = false;
				any = true;
			}
			ZSTD_outBuffer out = {obuf, ocap, 0};
			need = ZSTD_decompressStream(d, &out, &in);
			if (ZSTD_isError(need)) {
				set_error(errbuf, errlen, "%s: damaged (zstd: %s)", shown, ZSTD_getErrorName(need));
				goto out;
			}
			full = out.pos == ocap && need != 0;
			if (need == 0)
				at_frame_start = true;
		}
	}
	if (!any || need != 0) {
		set_error(errbuf, errlen, "%s: %s", shown, any ? "cut short (its zstd frame does not end)" : "empty");
		goto out;
	}
	if (lseek(fd, 0, SEEK_SET) < 0) {
		set_error(errbuf, errlen, "%s: cannot read it: %s", shown, strerror(errno));
		goto out;
	}
	rc = 0;
out:
	ZSTD_freeDCtx(d);
	free(ibuf);
	free(obuf);
	return rc;
}
