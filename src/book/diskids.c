/* diskids: WORKDIR/state/disk.conf, read or made once. */
#include "book/diskids.h"

#include <ctype.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include "lib/util.h"

/* A text GUID (8-4-4-4-12 hex digits) into `out` in lowercase; -1 if it is none. */
static int guid_text(const char *text, char out[37])
{
	if (strlen(text) != 36)
		return -1;
	for (int i = 0; i < 36; i++) {
		bool dash = i == 8 || i == 13 || i == 18 || i == 23;
		if (dash ? text[i] != '-' : !isxdigit((unsigned char)text[i]))
			return -1;
		out[i] = (char)tolower((unsigned char)text[i]);
	}
	out[36] = '\0';
	return 0;
}

/* A random GUID of version 4 (RFC 4122 variant) in text form. */
static int guid_random(char out[37])
{
	unsigned char r[16];
	if (random_bytes(r, sizeof r) < 0)
		return -1;
	r[6] = (unsigned char)((r[6] & 0x0f) | 0x40); /* version 4 */
	r[8] = (unsigned char)((r[8] & 0x3f) | 0x80); /* RFC 4122 variant */
	char *p = out;
	for (int k = 0; k < 16; k++) {
		if (k == 4 || k == 6 || k == 8 || k == 10)
			*p++ = '-';
		p += sprintf(p, "%02x", r[k]);
	}
	return 0;
}

static int ids_from_text(char *text, struct disk_ids *ids)
{
	memset(ids, 0, sizeof *ids);
	for (char *save = NULL, *line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		char *eq = strchr(line, '=');
		if (!eq || *line == '#')
			continue;
		*eq = '\0';
		char *dst = !strcmp(line, "DISK_GUID") ? ids->disk : !strcmp(line, "ESP_PARTUUID") ? ids->esp
		          : !strcmp(line, "ROOT_PARTUUID") ? ids->root : !strcmp(line, "ROOT_FS_UUID") ? ids->root_fs : NULL;
		if (dst && guid_text(eq + 1, dst) < 0)
			return -1;
	}
	return ids->disk[0] && ids->esp[0] && ids->root[0] && ids->root_fs[0] ? 0 : -1;
}

int disk_ids_load(const struct config *cfg, struct disk_ids *ids)
{
	char *dir = config_path(cfg, "state");
	char *path = path_join(dir, "disk.conf");
	int rc = -1;
	char *text = read_file(path, NULL);
	if (text) {
		if (ids_from_text(text, ids) == 0)
			rc = 0;
		else
			errorf("%s: not a valid disk identity (DISK_GUID, ESP_PARTUUID, ROOT_PARTUUID, ROOT_FS_UUID); "
			       "fix it, or remove it to get new ids (then rebuild ch10/fstab and ch10/grub)", path);
		goto out;
	}
	if (errno != ENOENT) {
		errorf("cannot read %s:", path);
		goto out;
	}
	if (guid_random(ids->disk) < 0 || guid_random(ids->esp) < 0 || guid_random(ids->root) < 0 ||
	    guid_random(ids->root_fs) < 0) {
		errorf("getrandom:");
		goto out;
	}
	char *body = xasprintf("# The identity of the lfsbuild disk image, made once: /etc/fstab and grub.cfg\n"
	                       "# (ch10/fstab, ch10/grub) and `lfsbuild image` all read it.\n"
	                       "DISK_GUID=%s\nESP_PARTUUID=%s\nROOT_PARTUUID=%s\nROOT_FS_UUID=%s\n",
	                       ids->disk, ids->esp, ids->root, ids->root_fs);
	if (mkdir_p(dir, 0755) < 0 || write_file_atomic(path, body, strlen(body), 0644) < 0)
		errorf("cannot write %s:", path);
	else
		rc = 0;
	free(body);
out:
	free(text);
	free(path);
	free(dir);
	return rc;
}
