/* diskids: the identity of the new system's disk, made once per work directory and kept in
 * WORKDIR/state/disk.conf, so that the system's /etc/fstab and grub.cfg (chapter 10, through
 * sysconfig) and the disk `image` writes agree. A setting of the new system, like sysconfig's:
 * in the book area, below both sysconfig and image. */
#pragma once
#include "config/config.h"

/* Shell syntax: DISK_GUID=..., ESP_PARTUUID=..., ROOT_PARTUUID=..., ROOT_FS_UUID=...;
 * lowercase text GUIDs. */
struct disk_ids {
	char disk[37], esp[37], root[37], root_fs[37];
};

/* Load WORKDIR/state/disk.conf, creating it with fresh random ids (version 4) the first time
 * (atomically). 0, or -1 after saying what failed. */
int disk_ids_load(const struct config *cfg, struct disk_ids *ids);
