/* exec: every external tool (mke2fs, mcopy, qemu-img, ...) runs through here, so that the exact
 * command line is logged and its output captured for the error message. */
#pragma once
#include "lib/util.h"

/* Run argv[0] (looked up in PATH) with argv, stdin from /dev/null. Its stdout and stderr are
 * captured into `out` (if not NULL) and appended, after a "$ command line" header, to the file
 * `logpath` (if not NULL). Returns the exit status (0-255), 128+N for a signal, -1 if it could
 * not be started (errno set). */
int exec_tool(char *const argv[], struct buf *out, const char *logpath);
/* exec_tool in the working directory `dir` (logged after the command line as "# in 'DIR'"), so
 * that the files there are named relative to it: tools that give a meaning to characters of
 * their file names (e2fsprogs: "FILE?offset=N", mtools: "FILE@@N") never see the work
 * directory's path, whatever it holds. A directory that cannot be entered: -1 with errno. */
int exec_tool_in(const char *dir, char *const argv[], struct buf *out, const char *logpath);
/* For exec_spawn(): give the child /dev/null there. (-1: the child keeps lfsbuild's own.) */
#define EXEC_NULL (-2)
/* Start argv[0] (looked up in PATH) with stdin/stdout/stderr from the fds in0/out/err (or -1,
 * EXEC_NULL). The child is killed when lfsbuild dies (PR_SET_PDEATHSIG), so no tool outlives a
 * SIGKILLed lfsbuild. Returns 0 with *pid set, or an errno value (as posix_spawnp does), also
 * when the program could not be executed. */
int exec_spawn(pid_t *pid, char *const argv[], int in0, int out, int err);
/* exec_spawn() in the working directory `dir`. */
int exec_spawn_in(pid_t *pid, const char *dir, char *const argv[], int in0, int out, int err);
/* The command line as one shell-quoted string (malloc'd), for logs and messages. */
char *exec_cmdline(char *const argv[]);
/* Is `prog` found in PATH (or an executable path)? */
bool exec_found(const char *prog);
