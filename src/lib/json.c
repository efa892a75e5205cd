/* json: jansson helpers for lfsbuild's JSON files (strings, fixed-decimal numbers, errors). */
#include "lib/json.h"

#include <math.h>
#include <stdlib.h>

#include "lib/util.h"

static json_t *must(json_t *v)
{
	if (!v)
		die("out of memory (JSON)");
	return v;
}

json_t *json_text(const char *s)
{
	if (!s)
		return must(json_null());
	json_t *v = json_string(s);
	if (v)
		return v;
	char *ascii = xstrdup(s);
	for (char *p = ascii; *p; p++)
		if ((unsigned char)*p > 0x7f)
			*p = '?';
	v = must(json_string(ascii));
	free(ascii);
	return v;
}

json_t *json_fixed(double v, int decimals, bool present)
{
	if (!present || !isfinite(v))
		return must(json_null());
	char *text = xasprintf("%.*f", decimals, v);
	double r = strtod(text, NULL);
	free(text);
	return must(json_real(r));
}

static int to_buf(const char *data, size_t n, void *b)
{
	buf_add(b, data, n);
	return 0;
}

char *json_dump_line(const json_t *v, size_t flags, size_t *len)
{
	struct buf b = {0};
	if (json_dump_callback(v, to_buf, &b, flags) < 0)
		die("cannot write JSON (out of memory?)");
	buf_puts(&b, "\n");
	if (len)
		*len = b.len;
	return b.data;
}

json_t *json_parse(const char *text, char *err, size_t errlen)
{
	json_error_t e;
	json_t *v = json_loads(text, 0, &e);
	if (!v)
		set_error(err, errlen, "line %d, column %d: %s", e.line, e.column, e.text);
	return v;
}

double json_get_num(const json_t *o, const char *key, double dflt, bool *present)
{
	const json_t *v = json_object_get(o, key);
	bool ok = json_is_number(v);
	if (present)
		*present = ok;
	return ok ? json_number_value(v) : dflt;
}

char *json_get_str(const json_t *o, const char *key)
{
	const json_t *v = json_object_get(o, key);
	return json_is_string(v) ? xstrdup(json_string_value(v)) : NULL;
}
