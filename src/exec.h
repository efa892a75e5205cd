/* exec: every external tool (mke2fs, mcopy, qemu-img, ...) runs through here, so that the exact
 * command line is logged and its output captured for the error message. */
#pragma once
#include "util.h"

/* Run argv[0] (looked up in PATH) with argv, stdin from /dev/null. Its stdout and stderr are
 * captured into `out` (if not NULL) and appended, after a "$ command line" header, to the file
 * `logpath` (if not NULL). Returns the exit status (0-255), 128+N for a signal, -1 if it could
 * not be started (errno set). */
int exec_tool(char *const argv[], struct buf *out, const char *logpath);
/* The command line as one shell-quoted string (malloc'd), for logs and messages. */
char *exec_cmdline(char *const argv[]);
/* Is `prog` found in PATH (or an executable path)? */
bool exec_found(const char *prog);
