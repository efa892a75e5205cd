/* hostcheck: the host's tools against the book's chapter 2 requirements and lfsbuild's own. */
#pragma once
#include <stdbool.h>
#include <stdio.h>

/* Compare dotted versions ("2.5.1a" < "2.5.4" < "2.13.1"); <0, 0, >0 like strcmp. */
int version_cmp(const char *a, const char *b);
/* The first version-looking token (digits and dots, optional letter) in text, copied into out. */
bool version_find(const char *text, char *out, size_t outlen);
/* Check every requirement, print the table (and the apt-get line for what is missing) to out.
 * Returns the number of requirements that are missing or too old. */
int hostcheck_run(FILE *out, bool color);
