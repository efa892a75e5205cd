/* capture: a step's writes kept apart (an overlay's upper tree, mounted by the sandbox), its
 * file list, and the journalled merge of the upper tree into the root. docs/engine.md,
 * "Capture". Everything here runs as root on trees a step made: no link of them is followed. */
#pragma once
#include <stdio.h>
#include "lib/util.h"

struct stamp;

/* WORKDIR/capture/<flat id> (malloc'd): upper/, work/, merge.journal, trash/. */
char *capture_dir(const char *workdir, const char *id);
/* WORKDIR/packages/<flat id>.files (malloc'd): THE place of a step's file list, for every reader. */
char *capture_list_path(const char *workdir, const char *id);
/* A fresh capture directory for step `id`: what an earlier run left is removed; upper/ gets the
 * owner and mode of `root` (the overlay's top directory is upper/ itself). 0, or -1 (errbuf). */
int capture_prepare(const char *workdir, const char *id, const char *root, char *errbuf, size_t errlen);
/* What capture_merge packs before the merge: the step's package archive (packages/package.h). */
struct capture_pack {
	const char *version;    /* the version the step built */
	const char *hash;       /* its input hash */
	const char *cache;      /* the binary cache directory it is also put into (packages/bincache.h) */
};
/* Drop from the upper tree `upper` what a step's tools leave that no package keeps: ldconfig's
 * var/cache/ldconfig/aux-cache (inode numbers and ctimes of the root where it ran: no two builds
 * write it the same, and ldconfig rebuilds it when it runs) and the Info directory
 * usr/share/info/dir (an index that every package's install-info edits in turn: its content
 * depends on which steps were merged before, also while the step ran; ch8/cleanup makes it anew
 * from the Info files, with the book's commands). Only a regular file is removed, reached
 * without following a link. capture_merge calls it before the list and the archive; repro on
 * both trees it compares. 0, or -1 with errno. */
int capture_drop_caches(const char *upper);
/* After the step succeeded: with `pack`, its package archive WORKDIR/packages/<flat>-<version>-
 * <hash12>.tar.zst, complete (.part, fsync, rename) before anything else, and put into
 * pack->cache; then its file list (WORKDIR/packages/<flat>.files, atomically), then the journal
 * (fsync'd, then "begin"), the merge of upper/ into `root`, the stamp `ok` (the one a success
 * writes; NULL: none) written, "done", and the capture directory removed. So a kill at any moment
 * leaves no archive or a whole one, and a journal that began only after it. An archive that
 * cannot be written is warned about and the merge goes on (the root is what matters; the step
 * then has no archive). The journal holds `ok`, so that the build that completes an interrupted
 * merge writes it too and the step does not run again. 0, or -1 (errbuf): the root is then as
 * before the step if the journal never began, else the next build completes it.
 * LFSBUILD_TEST_MERGE_PAUSE=SECONDS sleeps between "begin" and the merge (a test hook for the kill
 * drill). */
int capture_merge(const char *workdir, const char *id, const char *root, const struct capture_pack *pack,
                  const struct stamp *ok, char *errbuf, size_t errlen);
/* The file list of the upper tree `upper` of step `id` (a capture's, or a package archive unpacked
 * by package_unpack), as capture_merge writes it ("new" or "changed" as `root` has the path or
 * not), into `list` (a fresh buf). 0, or -1 (errbuf). */
int capture_list_tree(const char *id, const char *root, const char *upper, struct buf *list, char *errbuf,
                      size_t errlen);
/* The file list of a step that ran without a capture: "not captured". */
int capture_list_uncaptured(const char *workdir, const char *id, const char *why);
/* At the start of a build: every journal with "begin" and without "done" is completed (said on
 * `out`), its step's ok stamp written; a journal that never began is dropped (the root was not touched). The number of merges
 * completed, or -1 (said on stderr). */
int capture_recover(const char *workdir, const char *root, FILE *out);
/* Escape `\`, newline, tab as \\, \n, \t (file list and journal fields): filelist_escape of
 * packages/filelist.h, kept under this name for the list's readers. */
void capture_escape(struct buf *b, const char *s);
/* Undo capture_escape in place. */
void capture_unescape(char *s);
