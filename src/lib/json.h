/* json: what lfsbuild's JSON files (state/run.json, logs/trace.json) need on top of jansson:
 * strings it never refuses, numbers rounded as printf's "%.Nf" rounds them, parse errors that
 * say where, look-ups with defaults. */
#pragma once
#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

/* How lfsbuild writes a JSON file: compact, keys in the order they were set (jansson keeps it),
 * reals with 15 significant digits: every figure here has fewer, so it reads back as the same
 * double and prints as "86.1", not "86.099999999999994". */
#define JSON_FILE_FLAGS (JSON_COMPACT | JSON_REAL_PRECISION(15))

/* A string, or null for NULL. jansson takes UTF-8 only: from a string that is not, the
 * bytes above 0x7f become '?'. Never NULL. */
json_t *json_text(const char *s);
/* The number printf("%.*f", decimals, v) writes, as a reader of that text gets it; null when
 * !present or v is not finite. Never NULL. */
json_t *json_fixed(double v, int decimals, bool present);
/* `v` dumped with `flags`, then a newline: a malloc'ed string, its length in *len. */
char *json_dump_line(const json_t *v, size_t flags, size_t *len);

/* Parse a JSON object or array: the value, or NULL with "line L, column C: reason" in err. */
json_t *json_parse(const char *text, char *err, size_t errlen);
/* o[key] when it is a number (integer or real), else dflt; *present (may be NULL) says which. */
double json_get_num(const json_t *o, const char *key, double dflt, bool *present);
/* A copy of o[key] when it is a string, else NULL. */
char *json_get_str(const json_t *o, const char *key);
