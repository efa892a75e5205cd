/* filelist: the file list's lines, written and read. */
#include "packages/filelist.h"

#include <stdlib.h>
#include <string.h>

#include "sources/digest.h"

void filelist_escape(struct buf *b, const char *s)
{
	for (; *s; s++) {
		if (*s == '\\')
			buf_puts(b, "\\\\");
		else if (*s == '\n')
			buf_puts(b, "\\n");
		else if (*s == '\t')
			buf_puts(b, "\\t");
		else
			buf_add(b, s, 1);
	}
}

void filelist_unescape(char *s)
{
	char *o = s;
	for (; *s; s++) {
		if (s[0] == '\\' && s[1]) {
			s++;
			*o++ = *s == 'n' ? '\n' : *s == 't' ? '\t' : *s;
		} else {
			*o++ = *s;
		}
	}
	*o = '\0';
}

/* A decimal (or octal) number that is the whole field. */
static bool number(const char *s, int base, unsigned long long *out)
{
	char *end;
	if (!*s || *s == '-' || *s == '+')
		return false;
	*out = strtoull(s, &end, base);
	return *end == '\0';
}

bool filelist_parse_line(char *line, struct filelist_entry *e)
{
	char *f[9];
	size_t n = 0;
	for (char *c = line; c && n < 9; n++) {
		f[n] = c;
		c = strchr(c, '\t');
		if (c)
			*c++ = '\0';
	}
	if (n != 9 || line[0] == '#' || strlen(f[1]) != 1)
		return false;
	memset(e, 0, sizeof *e);
	e->what = f[0];
	e->type = f[1][0];
	filelist_unescape(f[7]);
	filelist_unescape(f[8]);
	e->target = f[7];
	e->path = f[8];
	e->sha256 = f[6];
	if (!strcmp(e->what, "deleted"))
		return e->type == '-' && *e->path;
	unsigned long long mode, uid, gid, size;
	if (!strchr("fdlcbps", e->type) || !number(f[2], 8, &mode) || mode > 07777 || !number(f[3], 10, &uid) ||
	    !number(f[4], 10, &gid) || !number(f[5], 10, &size) || !*e->path)
		return false;
	if (strcmp(e->what, "new") && strcmp(e->what, "changed") && strcmp(e->what, "replaced"))
		return false;
	if (e->type == 'f' ? !digest_hex_ok(e->sha256, 64) : strcmp(e->sha256, "-") != 0)
		return false;
	e->mode = (unsigned)mode;
	e->uid = (unsigned long)uid;
	e->gid = (unsigned long)gid;
	e->size = size;
	return true;
}

static int cmp_entry(const void *a, const void *b)
{
	return strcmp(((const struct filelist_entry *)a)->path, ((const struct filelist_entry *)b)->path);
}

int filelist_parse(char *text, struct filelist *fl, struct buf *why)
{
	memset(fl, 0, sizeof *fl);
	size_t cap = 0;
	int lineno = 0;
	for (char *line = text, *nl; line && *line; line = nl) {
		nl = strchr(line, '\n');
		if (nl)
			*nl++ = '\0';
		lineno++;
		if (line[0] == '#')
			continue;
		if (fl->n == cap) {
			cap = cap ? 2 * cap : 256;
			fl->v = xrealloc(fl->v, cap * sizeof *fl->v);
		}
		if (!filelist_parse_line(line, &fl->v[fl->n])) {
			buf_printf(why, "line %d is no entry of a file list", lineno);
			filelist_free(fl);
			return -1;
		}
		fl->n++;
	}
	if (fl->n)
		qsort(fl->v, fl->n, sizeof *fl->v, cmp_entry);
	for (size_t k = 1; k < fl->n; k++)
		if (!strcmp(fl->v[k - 1].path, fl->v[k].path)) {
			buf_printf(why, "the path %s is listed twice", fl->v[k].path);
			filelist_free(fl);
			return -1;
		}
	return 0;
}

struct filelist_entry *filelist_find(const struct filelist *fl, const char *path)
{
	struct filelist_entry key = {.path = path};
	return fl->n ? bsearch(&key, fl->v, fl->n, sizeof *fl->v, cmp_entry) : NULL;
}

void filelist_free(struct filelist *fl)
{
	free(fl->v);
	memset(fl, 0, sizeof *fl);
}
