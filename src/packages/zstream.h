/* zstream: the zstd stream of lfsbuild's archives (package archives, snapshots), written with a
 * content checksum (XXH64 of the whole tar) that libarchive's own zstd writer leaves out, and
 * checked end to end before an archive from a cache is trusted. Without the checksum, about one
 * changed byte in twenty of a package archive decompressed without an error into a tar whose
 * changed field (a time, padding) nothing else checks. */
#pragma once
#include <stddef.h>

struct archive;

/* Open the libarchive writer `w` (a format set, no filter) on `fd`: what it writes is compressed
 * with libzstd at `level`, one frame with its content checksum, ended at archive_write_close.
 * `fd` stays the caller's. ARCHIVE_OK, or libarchive's error on `w`. */
int zstream_open_write(struct archive *w, int fd, int level);

/* Read all of `fd` from its start as zstd: every frame must carry a content checksum, decode
 * without an error and match it, and nothing may follow the last frame. `shown` names the file in
 * the message. 0 (fd left at offset 0), or -1 with the reason in errbuf. */
int zstream_check(int fd, const char *shown, char *errbuf, size_t errlen);
