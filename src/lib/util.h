/* util: memory, errors, strings, files. The small things every module needs. */
#pragma once
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

/* Print "lfsbuild: MSG" to stderr and exit(1); a format ending in ':' appends strerror(errno). */
_Noreturn void die(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Like die() without exiting: "lfsbuild: warning: MSG". */
void warnx(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* "lfsbuild: error: MSG" to stderr (strerror appended as in die()); returns -1 for `return errorf(...)`. */
int errorf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Format a message into errbuf (for library-like modules that hand the text to their caller);
 * returns -1, so that `return set_error(errbuf, len, "...", ...);` reads as a failure. */
int set_error(char *errbuf, size_t errlen, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* Allocation that never returns NULL (dies on exhaustion). */
void *xmalloc(size_t n);
void *xcalloc(size_t n, size_t m);
void *xrealloc(void *p, size_t n);
char *xstrdup(const char *s);
char *xstrndup(const char *s, size_t n);
/* asprintf that dies on failure. */
char *xasprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
char *xvasprintf(const char *fmt, va_list ap);

/* A growable byte buffer, always NUL-terminated. */
struct buf { char *data; size_t len, cap; };
void buf_add(struct buf *b, const void *p, size_t n);
void buf_puts(struct buf *b, const char *s);
void buf_printf(struct buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void buf_vprintf(struct buf *b, const char *fmt, va_list ap) __attribute__((format(printf, 2, 0)));
void buf_free(struct buf *b);
/* Append "FILE:LINE: message\n" to `errors` (the parsers' errors: recipes, layers). */
void buf_file_error(struct buf *errors, const char *file, int line, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
/* read_file of a file that may be missing: NULL without a word when it does not exist (errno
 * ENOENT), NULL with "PATH: cannot read: why" appended to `errors` on any other failure. */
char *read_file_optional(const char *path, struct buf *errors);
/* Fill `p` with `n` random bytes from the kernel (getrandom, EINTR retried); 0 or -1. */
int random_bytes(void *p, size_t n);

/* A growable NULL-terminated array of owned strings. */
struct strv { char **v; size_t n, cap; };
void strv_push(struct strv *s, char *owned);
void strv_add(struct strv *s, const char *str);
void strv_free(struct strv *s);
bool strv_contains(const struct strv *s, const char *str);

/* Split `line` in place at blanks (space/tab); returns the count, fills at most `max` words. */
int split_words(char *line, char **words, int max);
bool str_starts(const char *s, const char *prefix);
bool str_ends(const char *s, const char *suffix);
/* Trim leading and trailing whitespace in place; returns s + leading. */
char *str_trim(char *s);
/* `s` as one word of a POSIX shell line, always in single quotes, each ' written '\'' (so
 * "it's" is 'it'\''s'); malloc'd. Any byte but NUL survives: spaces, $, `, \, newlines. */
char *shell_quote(const char *s);
/* `s` as it reads best as one shell word: as is when it has only characters no shell treats
 * specially (letters, digits, - _ = + / . , : @ %), else shell_quote(s); malloc'd. For the command
 * lines lfsbuild shows (logs, "resume with: lfsbuild -C DIR build"). */
char *shell_word(const char *s);

/* mkdir -p; returns 0 or -1 with errno set. */
int mkdir_p(const char *path, mode_t mode);
/* Read a whole file into a NUL-terminated malloc'd buffer; NULL with errno on failure. */
char *read_file(const char *path, size_t *len);
/* Write a file atomically: PATH.tmp.PID, fsync, rename, fsync of the directory. 0 or -1/errno. */
int write_file_atomic(const char *path, const void *data, size_t len, mode_t mode);
/* rm -rf that stays on one file system and never follows symlinks. 0 or -1/errno. */
int remove_tree(const char *path);
/* remove_tree of the entry `name` of the directory `dirfd` (never followed, nothing across a link
 * or onto another file system): 0 or -1 with errno. */
int remove_tree_at(int dirfd, const char *name);
bool path_exists(const char *path);
bool is_dir(const char *path);
/* Join two path parts with one '/'. */
char *path_join(const char *a, const char *b);
/* Absolute form of a path (does not need to exist); the result is malloc'd. */
char *path_abs(const char *path);

/* Monotonic seconds, and wall-clock seconds since the epoch, as doubles. */
double now_mono(void);
double now_wall(void);
/* x rounded to the nearest integer, halves away from zero (no libm). */
long long round_ll(double x);
/* "1h02m", "3m05s", "4.2s". Returns a static buffer rotated among 4 calls. */
const char *fmt_duration(double seconds);
/* "1.5 GiB", "300 KiB". Static buffer rotated among 4 calls. */
const char *fmt_bytes(double bytes);
/* A step's exit code as "2", or "141 (SIGPIPE)" above 128: the sandbox reports a step a signal
 * ended as 128+N, and so does its shell for a command a signal ended. Static buffer rotated
 * among 4 calls. */
const char *fmt_exit(int code);
/* Does the last `tail` bytes of the file `path` contain `needle`? false if it cannot be read. */
bool file_tail_contains(const char *path, size_t tail, const char *needle);
