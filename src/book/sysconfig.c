/* sysconfig: settings of the new system that the steps read. */
#include "book/sysconfig.h"

#include "book/diskids.h"

#include <crypt.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

static const char alnum[] = "ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz23456789";

static void random_string(char *out, size_t n, const char *alphabet)
{
	unsigned char raw[64];
	size_t k = strlen(alphabet);
	if (n > sizeof raw)
		n = sizeof raw;
	if (getrandom(raw, n, 0) != (ssize_t)n)
		die("getrandom:");
	for (size_t i = 0; i < n; i++)
		out[i] = alphabet[raw[i] % k];
	out[n] = '\0';
}

char *sysconfig_root_password(const struct config *cfg)
{
	char *file = config_path(cfg, "root-password");
	char *pw = NULL;
	if (cfg->root_password) {
		pw = xstrdup(cfg->root_password);
	} else if ((pw = read_file(file, NULL))) {
		char *t = str_trim(pw);
		memmove(pw, t, strlen(t) + 1);
		if (!*pw) {
			free(pw);
			pw = NULL;
		}
	}
	if (!pw) {
		pw = xmalloc(17);
		random_string(pw, 16, alnum);
	}
	char *old = read_file(file, NULL);
	bool same = old && !strcmp(str_trim(old), pw);
	free(old);
	if (!same) {
		char *text = xasprintf("%s\n", pw);
		if (mkdir_p(cfg->workdir, 0755) < 0 || write_file_atomic(file, text, strlen(text), 0600) < 0) {
			errorf("cannot write the root password to %s:", file);
			free(text);
			free(file);
			free(pw);
			return NULL;
		}
		free(text);
	}
	free(file);
	return pw;
}

char *sysconfig_root_hash(const struct config *cfg)
{
	char *pw = sysconfig_root_password(cfg);
	if (!pw)
		return NULL;
	char *dir = config_path(cfg, "state");
	char *file = path_join(dir, "root-password.hash");
	char *hash = read_file(file, NULL);
	if (hash) {
		char *t = str_trim(hash);
		memmove(hash, t, strlen(t) + 1);
		struct crypt_data cd = {0};
		const char *again = crypt_r(pw, hash, &cd);
		if (again && !strcmp(again, hash))
			goto out; /* the same password: keep the hash, so no step reruns */
		free(hash);
	}
	char salt[17], setting[32];
	random_string(salt, 16, alnum);
	snprintf(setting, sizeof setting, "$6$%s$", salt);
	struct crypt_data cd = {0};
	const char *h = crypt_r(pw, setting, &cd);
	if (!h || h[0] == '*') {
		errorf("crypt() failed for the root password");
		hash = NULL;
		goto out;
	}
	hash = xstrdup(h);
	char *text = xasprintf("%s\n", hash);
	if (mkdir_p(dir, 0755) < 0 || write_file_atomic(file, text, strlen(text), 0600) < 0)
		warnx("cannot keep the root password's hash in %s:", file);
	free(text);
out:
	memset(pw, 0, strlen(pw));
	free(pw);
	free(file);
	free(dir);
	return hash;
}

int sysconfig_env(const struct config *cfg, struct strv *env)
{
	char *hash = sysconfig_root_hash(cfg);
	if (!hash)
		return -1;
	strv_push(env, xasprintf("LFSBUILD_HOSTNAME=%s", cfg->hostname ? cfg->hostname : SYSCONFIG_HOSTNAME));
	strv_push(env, xasprintf("LFSBUILD_LOCALES=%s", cfg->locales ? cfg->locales : SYSCONFIG_LOCALES));
	/* Only when set: unset, the recipe's default applies and the step's inputs stay as they were. */
	if (cfg->timezone && *cfg->timezone)
		strv_push(env, xasprintf("LFSBUILD_TIMEZONE=%s", cfg->timezone));
	if (cfg->keymap && *cfg->keymap)
		strv_push(env, xasprintf("LFSBUILD_KEYMAP=%s", cfg->keymap));
	if (cfg->lang && *cfg->lang)
		strv_push(env, xasprintf("LFSBUILD_LANG=%s", cfg->lang));
	strv_push(env, xasprintf("LFSBUILD_ROOT_PASSWORD_HASH=%s", hash));
	/* The disk's ids, so that fstab and grub.cfg (chapter 10) agree with the disk `image` writes. */
	struct disk_ids ids;
	if (disk_ids_load(cfg, &ids) < 0) {
		free(hash);
		return -1;
	}
	strv_push(env, xasprintf("LFSBUILD_ESP_PARTUUID=%s", ids.esp));
	strv_push(env, xasprintf("LFSBUILD_ROOT_PARTUUID=%s", ids.root));
	if (cfg->kernel_config && !strcmp(cfg->kernel_config, SYSCONFIG_KERNEL_DEFCONFIG)) {
		strv_push(env, xasprintf("LFSBUILD_KERNEL_BASE=%s", SYSCONFIG_KERNEL_DEFCONFIG));
	} else if (cfg->kernel_config && *cfg->kernel_config) {
		char *abs = path_abs(cfg->kernel_config);
		if (access(abs, R_OK) < 0) {
			errorf("--kernel-config %s:", abs);
			free(abs);
			free(hash);
			return -1;
		}
		strv_push(env, xasprintf("LFSBUILD_KERNEL_CONFIG=%s", abs));
		free(abs);
	}
	free(hash);
	return 0;
}

bool sysconfig_kernel_is_word(const char *value)
{
	return value && !strcmp(value, SYSCONFIG_KERNEL_DEFCONFIG);
}

/* ---- the checks ---- */

static bool only_of(const char *s, const char *allowed)
{
	return strspn(s, allowed) == strlen(s);
}

#define ALNUM "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"

/* The reason into why; false, so that `return invalid(...)` reads as the verdict. */
static bool invalid(char *why, size_t len, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static bool invalid(char *why, size_t len, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(why, len, fmt, ap);
	va_end(ap);
	return false;
}

bool sysconfig_valid_timezone(const char *zone, const char *zoneinfo, char *why, size_t len)
{
	if (strstr(zone, ".."))
		return invalid(why, len, "'..' is not allowed in a time zone name");
	if (!*zone || strlen(zone) > 200 || !only_of(zone, ALNUM "/_+-") || zone[0] == '/' || zone[0] == '-' ||
	    strstr(zone, "//") || zone[strlen(zone) - 1] == '/')
		return invalid(why, len, "not a time zone name (letters, digits, '/', '_', '+', '-', e.g. Europe/Berlin)");
	if (!zoneinfo || !is_dir(zoneinfo))
		return true;
	char *path = path_join(zoneinfo, zone);
	char magic[4] = {0};
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	bool ok = fd >= 0 && read(fd, magic, sizeof magic) == (ssize_t)sizeof magic && !memcmp(magic, "TZif", 4);
	if (fd >= 0)
		close(fd);
	free(path);
	if (!ok)
		invalid(why, len, "no time zone of that name under %s (e.g. UTC, Europe/Berlin, America/New_York)", zoneinfo);
	return ok;
}

bool sysconfig_valid_keymap(const char *map, char *why, size_t len)
{
	if (!*map || strlen(map) > 64 || !only_of(map, ALNUM "_.-") || map[0] == '-' || map[0] == '.')
		return invalid(why, len, "not a keymap name (letters, digits, '_', '.', '-', not first '-' or '.', "
		                         "e.g. de-latin1)");
	return true;
}

/* ll or lll in lower case, then _CC (upper case) or _NNN; true if that is the whole of [s, end). */
static bool lang_territory(const char *s, const char *end)
{
	size_t n = strspn(s, "abcdefghijklmnopqrstuvwxyz");
	if (n < 2 || n > 3 || s + n > end)
		return false;
	s += n;
	if (s == end)
		return true;
	if (*s++ != '_')
		return false;
	size_t up = strspn(s, "ABCDEFGHIJKLMNOPQRSTUVWXYZ"), dig = strspn(s, "0123456789");
	return (up == 2 && s + 2 == end) || (dig == 3 && s + 3 == end);
}

bool sysconfig_valid_lang(const char *lang, char *why, size_t len)
{
	const char *dot = strchr(lang, '.'), *at = strchr(lang, '@');
	const char *end = dot ? dot : at ? at : lang + strlen(lang);
	bool ok = strlen(lang) <= 100 && (at ? !strchr(at + 1, '@') && (!dot || dot < at) : true);
	size_t head = (size_t)(end - lang);
	if (ok)
		ok = (head == 1 && lang[0] == 'C') || (head == 5 && !strncmp(lang, "POSIX", 5)) || lang_territory(lang, end);
	if (ok && dot) {
		size_t n = (size_t)((at ? at : lang + strlen(lang)) - (dot + 1));
		ok = n > 0 && strspn(dot + 1, ALNUM "_-") == n;
	}
	if (ok && at)
		ok = at[1] && only_of(at + 1, ALNUM);
	if (!ok)
		invalid(why, len, "not a locale name: C, POSIX or ll_CC, then .CHARMAP and @MODIFIER if any "
		                    "(e.g. C.UTF-8, en_US.UTF-8, de_DE@euro)");
	return ok;
}

bool sysconfig_valid_locales(const char *list, char *why, size_t len)
{
	char *copy = xstrdup(list), *save = NULL;
	bool ok = true, any = false;
	for (char *w = strtok_r(copy, " \t", &save); w && ok; w = strtok_r(NULL, " \t", &save)) {
		any = true;
		char inner[256];
		if (!sysconfig_valid_lang(w, inner, sizeof inner)) {
			invalid(why, len, "'%s' is %s", w, inner);
			ok = false;
		}
	}
	free(copy);
	if (ok && !any)
		return invalid(why, len, "no locale named");
	return ok;
}

bool sysconfig_valid_hostname(const char *name, char *why, size_t len)
{
	size_t n = strlen(name);
	if (n < 1 || n > 63 || !only_of(name, ALNUM "-") || name[0] == '-' || name[n - 1] == '-')
		return invalid(why, len, "not a host name (letters, digits and '-', 1 to 63, no '-' at either end)");
	return true;
}

bool sysconfig_valid(const char *option, const char *value, const char *zoneinfo, char *why, size_t len)
{
	if (!value || !*value)
		return true;
	if (!strcmp(option, "timezone"))
		return sysconfig_valid_timezone(value, zoneinfo, why, len);
	if (!strcmp(option, "keymap"))
		return sysconfig_valid_keymap(value, why, len);
	if (!strcmp(option, "lang"))
		return sysconfig_valid_lang(value, why, len);
	if (!strcmp(option, "locales"))
		return sysconfig_valid_locales(value, why, len);
	if (!strcmp(option, "hostname"))
		return sysconfig_valid_hostname(value, why, len);
	if (!strcmp(option, "kernel-config")) {
		if (!strcmp(value, SYSCONFIG_KERNEL_DEFCONFIG) || !strcmp(value, SYSCONFIG_KERNEL_QEMU))
			return true;
		struct stat st;
		if (stat(value, &st) < 0 || access(value, R_OK) < 0)
			return invalid(why, len, "cannot read it: %s", strerror(errno));
		if (!S_ISREG(st.st_mode))
			return invalid(why, len, "not a regular file");
	}
	return true;
}
