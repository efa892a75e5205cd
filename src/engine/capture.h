/* capture: a step's writes kept apart (an overlay's upper tree, mounted by the sandbox), its
 * file list, and the journalled merge of the upper tree into the root. docs/engine.md,
 * "Capture". Everything here runs as root on trees a step made: no link of them is followed. */
#pragma once
#include <stdio.h>
#include "lib/util.h"

/* WORKDIR/capture/<flat id> (malloc'd): upper/, work/, merge.journal, trash/. */
char *capture_dir(const char *workdir, const char *id);
/* WORKDIR/packages/<flat id>.files (malloc'd). */
char *capture_list_path(const char *workdir, const char *id);
/* A fresh capture directory for step `id`: what an earlier run left is removed; upper/ gets the
 * owner and mode of `root` (the overlay's top directory is upper/ itself). 0, or -1 (errbuf). */
int capture_prepare(const char *workdir, const char *id, const char *root, char *errbuf, size_t errlen);
/* After the step succeeded: its file list (WORKDIR/packages/<flat>.files, atomically), then the
 * journal (fsync'd, then "begin"), the merge of upper/ into `root`, "done", and the capture
 * directory removed. 0, or -1 (errbuf): the root is then as before the step if the journal
 * never began, else the next build completes it. LFSBUILD_TEST_MERGE_PAUSE=SECONDS sleeps
 * between "begin" and the merge (a test hook for the kill drill). */
int capture_merge(const char *workdir, const char *id, const char *root, char *errbuf, size_t errlen);
/* The file list of a step that ran without a capture: "not captured". */
int capture_list_uncaptured(const char *workdir, const char *id, const char *why);
/* At the start of a build: every journal with "begin" and without "done" is completed (said on
 * `out`); a journal that never began is dropped (the root was not touched). The number of merges
 * completed, or -1 (said on stderr). */
int capture_recover(const char *workdir, const char *root, FILE *out);
/* Escape `\`, newline, tab as \\, \n, \t (file list and journal fields): filelist_escape of
 * packages/filelist.h, kept under this name for the list's readers. */
void capture_escape(struct buf *b, const char *s);
/* Undo capture_escape in place. */
void capture_unescape(char *s);
