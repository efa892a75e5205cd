/* sysconfig: the settings of the new system that steps read (host name, locales, root
 * password, kernel config), exported to chapter 8-11 steps as LFSBUILD_* variables. These
 * values are part of the steps' input hash: change one and the steps that read it run again. */
#pragma once
#include "config/config.h"

/* The root password: --root-password, else WORKDIR/root-password if it exists, else a new
 * random one. Always kept in WORKDIR/root-password (mode 0600). Returns a malloc'd string or
 * NULL after an error message. */
char *sysconfig_root_password(const struct config *cfg);
/* A SHA-512 crypt(3) hash of the password, stable across runs for the same password (kept
 * in WORKDIR/state/root-password.hash). malloc'd, or NULL after an error message. */
char *sysconfig_root_hash(const struct config *cfg);
/* Append NAME=VALUE entries to env: LFSBUILD_HOSTNAME, LFSBUILD_LOCALES,
 * LFSBUILD_ROOT_PASSWORD_HASH, LFSBUILD_ESP_PARTUUID and LFSBUILD_ROOT_PARTUUID (from
 * WORKDIR/state/disk.conf, which `image` writes onto the disk), LFSBUILD_KERNEL_CONFIG (the
 * absolute path, when given).
 * Returns 0 or -1 after an error message. */
int sysconfig_env(const struct config *cfg, struct strv *env);
