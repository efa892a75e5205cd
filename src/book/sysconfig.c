/* sysconfig: settings of the new system that the steps read. */
#include "book/sysconfig.h"

#include "book/diskids.h"

#include <crypt.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
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
	strv_push(env, xasprintf("LFSBUILD_HOSTNAME=%s", cfg->hostname));
	strv_push(env, xasprintf("LFSBUILD_LOCALES=%s", cfg->locales));
	strv_push(env, xasprintf("LFSBUILD_ROOT_PASSWORD_HASH=%s", hash));
	/* The disk's ids, so that fstab and grub.cfg (chapter 10) agree with the disk `image` writes. */
	struct disk_ids ids;
	if (disk_ids_load(cfg, &ids) < 0) {
		free(hash);
		return -1;
	}
	strv_push(env, xasprintf("LFSBUILD_ESP_PARTUUID=%s", ids.esp));
	strv_push(env, xasprintf("LFSBUILD_ROOT_PARTUUID=%s", ids.root));
	if (cfg->kernel_config) {
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
